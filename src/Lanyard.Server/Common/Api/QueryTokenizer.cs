using System.Text;

namespace Lanyard.Server.Common.Api;

internal enum QueryTokenKind
{
    Word,
    String,
    Number,
    OpenParen,
    CloseParen,
    Comma,
    End,
}

/// <summary>One token; <see cref="Position"/> is 1-based, for messages.</summary>
internal readonly record struct QueryToken(QueryTokenKind Kind, string Text, int Position);

/// <summary>
/// Splits a <c>query=</c> expression into words (attribute names, operators, <c>and</c>/<c>or</c>,
/// <c>true</c>/<c>false</c>), double-quoted strings (<c>\"</c> and <c>\\</c> escapes), numbers,
/// parentheses and commas.
/// </summary>
internal static class QueryTokenizer
{
    public static Parsed<List<QueryToken>> Tokenize(string text)
    {
        var tokens = new List<QueryToken>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            var start = i;
            switch (c)
            {
                case '(':
                    tokens.Add(new QueryToken(QueryTokenKind.OpenParen, "(", start + 1));
                    i++;
                    continue;
                case ')':
                    tokens.Add(new QueryToken(QueryTokenKind.CloseParen, ")", start + 1));
                    i++;
                    continue;
                case ',':
                    tokens.Add(new QueryToken(QueryTokenKind.Comma, ",", start + 1));
                    i++;
                    continue;
                case '"':
                    var quoted = ReadString(text, ref i);
                    if (!quoted.IsValid)
                    {
                        return Parsed<List<QueryToken>>.Fail(quoted.Error);
                    }

                    tokens.Add(new QueryToken(QueryTokenKind.String, quoted.Value!, start + 1));
                    continue;
            }

            if (IsWordStart(c))
            {
                while (i < text.Length && IsWordPart(text[i]))
                {
                    i++;
                }

                tokens.Add(new QueryToken(QueryTokenKind.Word, text[start..i], start + 1));
                continue;
            }

            if (char.IsAsciiDigit(c) || (c == '-' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                i++;
                while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
                {
                    i++;
                }

                if (i < text.Length && IsWordPart(text[i]))
                {
                    return Parsed<List<QueryToken>>.Fail($"Malformed number at position {start + 1}.");
                }

                tokens.Add(new QueryToken(QueryTokenKind.Number, text[start..i], start + 1));
                continue;
            }

            return Parsed<List<QueryToken>>.Fail($"Unexpected character at position {start + 1}; string values must be in double quotes.");
        }

        tokens.Add(new QueryToken(QueryTokenKind.End, "", text.Length + 1));
        return Parsed<List<QueryToken>>.Ok(tokens);
    }

    private static Parsed<string> ReadString(string text, ref int i)
    {
        var start = i;
        var value = new StringBuilder();
        i++;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '"')
            {
                i++;
                return Parsed<string>.Ok(value.ToString());
            }

            if (c == '\\')
            {
                if (i + 1 < text.Length && text[i + 1] is '"' or '\\')
                {
                    value.Append(text[i + 1]);
                    i += 2;
                    continue;
                }

                return Parsed<string>.Fail($"Invalid escape at position {i + 1}; only \\\" and \\\\ are allowed in a string.");
            }

            value.Append(c);
            i++;
        }

        return Parsed<string>.Fail($"Unterminated string starting at position {start + 1}.");
    }

    private static bool IsWordStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsWordPart(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.';
}
