using System.Text.Json;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Clients;

/// <summary>
/// Command-line verbs for registering clients and setting the application's URLs until the management
/// API exists:
/// <code>
/// lanyard clients create --type BACKEND_SERVER|SPA|NATIVE|MACHINE_TO_MACHINE --name NAME
///                        [--redirect-uri URI]... [--login-url URL] [--rotate-refresh-tokens true|false]
/// lanyard application update [--login-url URL] [--logout-url URL]...
/// </code>
/// Output is one JSON object on standard output; the client secret appears there once and is never stored in clear.
/// </summary>
internal sealed class ClientCommands(IServiceScopeFactory scopes, TimeProvider time)
{
    public async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        var (verb, options, problem) = Parse(args);
        if (problem is not null)
        {
            await errors.WriteLineAsync(problem);
            return 2;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LanyardDbContext>();
        var application = await db.Applications.AsTracking().OrderBy(a => a.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        if (application is null)
        {
            await errors.WriteLineAsync("No application exists yet: start the server once so that it creates one.");
            return 2;
        }

        scope.ServiceProvider.GetRequiredService<TenantContext>().Enter(application.Id);
        return verb switch
        {
            "clients create" => await CreateClientAsync(db, scope.ServiceProvider.GetRequiredService<ClientSecretHasher>(), options, output, errors, cancellationToken),
            _ => await UpdateApplicationAsync(db, application, options, output, errors, cancellationToken),
        };
    }

    private async Task<int> CreateClientAsync(
        LanyardDbContext db, ClientSecretHasher hasher, Dictionary<string, List<string>> options, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        if (!WireName<OAuthClientType>.TryParse(Single(options, "type"), out var type))
        {
            problems.Add($"--type must be one of {string.Join(", ", WireName<OAuthClientType>.All)}");
        }

        var name = Single(options, "name");
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100)
        {
            problems.Add("--name is required (1–100 characters)");
        }

        var redirects = options.GetValueOrDefault("redirect-uri") ?? [];
        var loginUrl = Single(options, "login-url");
        foreach (var uri in redirects.Append(loginUrl).OfType<string>())
        {
            if (RedirectUriRules.Problem(uri) is { } why)
            {
                problems.Add($"'{uri}' {why}");
            }
        }

        if (type != OAuthClientType.MachineToMachine && redirects.Count == 0)
        {
            problems.Add("--redirect-uri is required for clients that sign users in");
        }

        bool? rotation = null;
        if (Single(options, "rotate-refresh-tokens") is { } rotate)
        {
            rotation = bool.TryParse(rotate, out var parsed) ? parsed : null;
            if (rotation is null)
            {
                problems.Add("--rotate-refresh-tokens must be true or false");
            }
        }

        if (problems.Count > 0)
        {
            await errors.WriteLineAsync(string.Join(Environment.NewLine, problems));
            return 2;
        }

        var confidential = type is OAuthClientType.BackendServer or OAuthClientType.MachineToMachine;
        var secret = confidential ? ClientSecretHasher.GenerateSecret() : null;
        var client = new OAuthClient
        {
            Id = LanyardId.New(time),
            Name = name!,
            Type = type,
            RedirectUris = [.. redirects],
            LoginUrl = loginUrl,
            GrantTypes = type == OAuthClientType.MachineToMachine
                ? [GrantTypes.ClientCredentials]
                : [GrantTypes.AuthorizationCode, GrantTypes.RefreshToken],
            SecretHash = secret is null ? null : hasher.Hash(secret),
            RefreshTokenRotation = rotation,
        };
        db.Clients.Add(client);
        await db.SaveChangesAsync(cancellationToken);
        await output.WriteLineAsync(JsonSerializer.Serialize(new
        {
            clientId = client.Id,
            clientSecret = secret,
            type = WireName<OAuthClientType>.Of(type),
            redirectUris = client.RedirectUris,
            loginUrl,
        }));
        return 0;
    }

    private static async Task<int> UpdateApplicationAsync(
        LanyardDbContext db, Application application, Dictionary<string, List<string>> options, TextWriter output, TextWriter errors, CancellationToken cancellationToken)
    {
        var logoutUrls = options.GetValueOrDefault("logout-url");
        var loginUrl = Single(options, "login-url");
        var problems = (logoutUrls ?? []).Append(loginUrl).OfType<string>()
            .Select(u => RedirectUriRules.Problem(u) is { } why ? $"'{u}' {why}" : null).OfType<string>().ToList();
        if (logoutUrls is { Count: > 10 })
        {
            problems.Add("at most 10 --logout-url values");
        }

        if (problems.Count > 0)
        {
            await errors.WriteLineAsync(string.Join(Environment.NewLine, problems));
            return 2;
        }

        if (logoutUrls is not null)
        {
            application.LogoutUrls = [.. logoutUrls];
        }

        if (loginUrl is not null)
        {
            application.LoginUrl = loginUrl;
        }

        await db.SaveChangesAsync(cancellationToken);
        await output.WriteLineAsync(JsonSerializer.Serialize(new { applicationId = application.Id, loginUrl = application.LoginUrl, logoutUrls = application.LogoutUrls }));
        return 0;
    }

    private static string? Single(Dictionary<string, List<string>> options, string name) =>
        options.TryGetValue(name, out var values) ? values[^1] : null;

    private static (string Verb, Dictionary<string, List<string>> Options, string? Problem) Parse(IReadOnlyList<string> args)
    {
        var verb = args.Count >= 2 ? $"{args[0]} {args[1]}" : "";
        if (verb is not ("clients create" or "application update"))
        {
            return (verb, [], "Usage: lanyard clients create --type TYPE --name NAME [--redirect-uri URI]... [--login-url URL] [--rotate-refresh-tokens true|false]\n" +
                              "       lanyard application update [--login-url URL] [--logout-url URL]...");
        }

        var options = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        for (var i = 2; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                // Host options (--contentRoot and the like) pass through here too; they always come in pairs.
                return (verb, options, $"Unexpected argument '{args[i]}'.");
            }

            var name = args[i][2..];
            if (!options.TryGetValue(name, out var list))
            {
                options[name] = list = [];
            }

            list.Add(args[++i]);
        }

        return (verb, options, null);
    }

    public static bool Handles(IReadOnlyList<string> verbArgs) => verbArgs is ["clients", ..] or ["application", ..];
}
