namespace Lanyard.Server.Common.Api;

/// <summary>A node of a parsed <c>query=</c> expression.</summary>
internal abstract record QueryNode;

internal sealed record QueryAnd(QueryNode Left, QueryNode Right) : QueryNode;

internal sealed record QueryOr(QueryNode Left, QueryNode Right) : QueryNode;

/// <summary>
/// <c>attribute op value</c>; for <see cref="QueryOperator.In"/> and <see cref="QueryOperator.Nin"/>
/// every listed value, else exactly one. <see cref="Attribute"/> keeps the caller's spelling.
/// </summary>
internal sealed record QueryComparison(string Attribute, QueryOperator Operator, IReadOnlyList<QueryLiteral> Values) : QueryNode;

internal enum QueryOperator
{
    Eq,
    Ne,
    Sw,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Nin,
}

internal enum QueryLiteralKind
{
    /// <summary>A double-quoted string.</summary>
    String,

    /// <summary>Unquoted <c>true</c> or <c>false</c>.</summary>
    Boolean,

    /// <summary>An unquoted integer or decimal number.</summary>
    Number,
}

/// <summary>A value as written; its type is decided by the attribute it is compared with.</summary>
internal sealed record QueryLiteral(QueryLiteralKind Kind, string Text);

internal static class QueryOperators
{
    public static bool TryParse(string word, out QueryOperator op)
    {
        op = word.ToLowerInvariant() switch
        {
            "eq" => QueryOperator.Eq,
            "ne" => QueryOperator.Ne,
            "sw" => QueryOperator.Sw,
            "lt" => QueryOperator.Lt,
            "le" => QueryOperator.Le,
            "gt" => QueryOperator.Gt,
            "ge" => QueryOperator.Ge,
            "in" => QueryOperator.In,
            "nin" => QueryOperator.Nin,
            _ => (QueryOperator)(-1),
        };
        return Enum.IsDefined(op);
    }

    public static string Name(this QueryOperator op) => op.ToString().ToLowerInvariant();

    public static bool IsList(this QueryOperator op) => op is QueryOperator.In or QueryOperator.Nin;
}
