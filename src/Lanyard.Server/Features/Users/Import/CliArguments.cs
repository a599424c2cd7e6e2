namespace Lanyard.Server.Features.Users.Import;

/// <summary>A verb's words and its <c>--name value</c> options, as the import and export verbs take them.</summary>
internal sealed record CliArguments(IReadOnlyList<string> Words, IReadOnlyDictionary<string, string> Options, string? Problem)
{
    /// <summary>Reads <paramref name="args"/>: words first, then options; <c>--all</c> and other <paramref name="flags"/> take no value.</summary>
    public static CliArguments Parse(IReadOnlyList<string> args, IReadOnlySet<string> known, IReadOnlySet<string> flags)
    {
        var words = new List<string>();
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || args[i] == "--")
            {
                if (options.Count > 0)
                {
                    return new CliArguments(words, options, $"Unexpected argument '{args[i]}'.");
                }

                words.Add(args[i]);
                continue;
            }

            var name = args[i][2..];
            if (flags.Contains(name))
            {
                options[name] = "true";
            }
            else if (known.Contains(name) && i + 1 < args.Count)
            {
                options[name] = args[++i];
            }
            else if (!known.Contains(name) && i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                i++; // a host option (--contentRoot and the like) with its value: not ours
            }
            else
            {
                return new CliArguments(words, options, $"Option '{args[i]}' needs a value.");
            }
        }

        return new CliArguments(words, options, null);
    }

    public string? this[string option] => Options.GetValueOrDefault(option);
}
