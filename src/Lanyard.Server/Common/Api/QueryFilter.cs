namespace Lanyard.Server.Common.Api;

/// <summary>
/// Reads Wristband's <c>query=</c> filter language into a <see cref="QueryNode"/> tree with a hand-written
/// recursive-descent parser. Grammar (docs/api-conventions.md):
/// <code>
/// expression := conjunction { "or" conjunction }
/// conjunction := primary { "and" primary }
/// primary    := "(" expression ")" | attribute op value | attribute ("in"|"nin") "(" value { "," value } ")"
/// value      := string | number | "true" | "false"
/// </code>
/// Keywords and operators are case-insensitive. The limits keep a hostile expression from costing more
/// than a fixed amount of parsing or SQL: the text length, the parenthesis depth (which bounds the
/// recursion) and the number of compared values.
/// </summary>
internal static class QueryFilter
{
    public const int MaxLength = 2000;
    public const int MaxDepth = 20;
    public const int MaxTerms = 50;

    /// <summary>Parses <paramref name="text"/>; null or blank means no filter (a null node).</summary>
    public static Parsed<QueryNode?> Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Parsed<QueryNode?>.Ok(null);
        }

        if (text.Length > MaxLength)
        {
            return Parsed<QueryNode?>.Fail($"The query is too long: at most {MaxLength} characters.");
        }

        var tokens = QueryTokenizer.Tokenize(text);
        if (!tokens.IsValid)
        {
            return Parsed<QueryNode?>.Fail(tokens.Error);
        }

        var parser = new Parser(tokens.Value!);
        var node = parser.Expression(depth: 0);
        if (node is null)
        {
            return Parsed<QueryNode?>.Fail(parser.Error!);
        }

        return parser.Current.Kind switch
        {
            QueryTokenKind.End => Parsed<QueryNode?>.Ok(node),
            QueryTokenKind.CloseParen => Parsed<QueryNode?>.Fail($"Unbalanced parentheses: unexpected ')' at position {parser.Current.Position}."),
            _ => Parsed<QueryNode?>.Fail($"Expected 'and', 'or' or the end of the query at position {parser.Current.Position}."),
        };
    }

    private sealed class Parser(List<QueryToken> tokens)
    {
        private int _index;
        private int _terms;

        public string? Error { get; private set; }

        public QueryToken Current => tokens[_index];

        public QueryNode? Expression(int depth)
        {
            var left = Conjunction(depth);
            while (left is not null && IsKeyword(Current, "or"))
            {
                _index++;
                var right = Conjunction(depth);
                left = right is null ? null : new QueryOr(left, right);
            }

            return left;
        }

        private QueryNode? Conjunction(int depth)
        {
            var left = Primary(depth);
            while (left is not null && IsKeyword(Current, "and"))
            {
                _index++;
                var right = Primary(depth);
                left = right is null ? null : new QueryAnd(left, right);
            }

            return left;
        }

        private QueryNode? Primary(int depth)
        {
            var token = Current;
            if (token.Kind == QueryTokenKind.OpenParen)
            {
                if (depth + 1 > MaxDepth)
                {
                    return Fail($"The query is nested too deeply: at most {MaxDepth} levels of parentheses.");
                }

                _index++;
                var inner = Expression(depth + 1);
                if (inner is null)
                {
                    return null;
                }

                if (Current.Kind != QueryTokenKind.CloseParen)
                {
                    return Fail($"Unbalanced parentheses: expected ')' at position {Current.Position}.");
                }

                _index++;
                return inner;
            }

            if (token.Kind != QueryTokenKind.Word || IsKeyword(token, "and") || IsKeyword(token, "or"))
            {
                return Fail(token.Kind == QueryTokenKind.End
                    ? "The query ends where a comparison (attribute operator value) was expected."
                    : $"Expected an attribute name at position {token.Position}.");
            }

            _index++;
            var opToken = Current;
            if (opToken.Kind != QueryTokenKind.Word || !QueryOperators.TryParse(opToken.Text, out var op))
            {
                return Fail($"Expected an operator (eq, ne, sw, lt, le, gt, ge, in, nin) after '{Clip(token.Text)}' at position {opToken.Position}.");
            }

            _index++;
            List<QueryLiteral>? values;
            if (op.IsList())
            {
                values = ValueList(op);
            }
            else
            {
                values = Value() is { } single ? [single] : null;
            }

            if (values is null)
            {
                return null;
            }

            _terms += values.Count;
            if (_terms > MaxTerms)
            {
                return Fail($"The query has too many terms: at most {MaxTerms} compared values.");
            }

            return new QueryComparison(token.Text, op, values);
        }

        private List<QueryLiteral>? ValueList(QueryOperator op)
        {
            if (Current.Kind != QueryTokenKind.OpenParen)
            {
                return FailList($"Expected '(' after '{op.Name()}' at position {Current.Position}: {op.Name()} takes a list like (\"a\", \"b\").");
            }

            _index++;
            var values = new List<QueryLiteral>();
            while (true)
            {
                var value = Value();
                if (value is null)
                {
                    return null;
                }

                values.Add(value);
                if (values.Count > MaxTerms)
                {
                    return FailList($"The query has too many terms: at most {MaxTerms} compared values.");
                }

                if (Current.Kind == QueryTokenKind.Comma)
                {
                    _index++;
                    continue;
                }

                if (Current.Kind == QueryTokenKind.CloseParen)
                {
                    _index++;
                    return values;
                }

                return FailList($"Expected ',' or ')' in the list of '{op.Name()}' at position {Current.Position}.");
            }
        }

        private QueryLiteral? Value()
        {
            var token = Current;
            QueryLiteral? literal = token.Kind switch
            {
                QueryTokenKind.String => new QueryLiteral(QueryLiteralKind.String, token.Text),
                QueryTokenKind.Number => new QueryLiteral(QueryLiteralKind.Number, token.Text),
                QueryTokenKind.Word when IsKeyword(token, "true") => new QueryLiteral(QueryLiteralKind.Boolean, "true"),
                QueryTokenKind.Word when IsKeyword(token, "false") => new QueryLiteral(QueryLiteralKind.Boolean, "false"),
                _ => null,
            };
            if (literal is null)
            {
                Fail($"Expected a value (a \"quoted string\", a number, true or false) at position {token.Position}.");
                return null;
            }

            _index++;
            return literal;
        }

        private static bool IsKeyword(QueryToken token, string keyword) =>
            token.Kind == QueryTokenKind.Word && string.Equals(token.Text, keyword, StringComparison.OrdinalIgnoreCase);

        private QueryNode? Fail(string message)
        {
            Error ??= message;
            return null;
        }

        private List<QueryLiteral>? FailList(string message)
        {
            Error ??= message;
            return null;
        }
    }

    /// <summary>Names echoed in messages are cut short: the caller's text is not reflected at length.</summary>
    internal static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
