using System.Globalization;
using System.Linq.Expressions;

namespace Lanyard.Server.Common.Api;

/// <summary>How a value compares; decides which operators an attribute accepts and how literals are read.</summary>
internal enum ApiValueType
{
    String,
    Boolean,
    Enum,
    DateTime,
    Long,
}

/// <summary>
/// A resource's allow-list of the attributes a caller may filter (<c>query=</c>) and sort (<c>sort_by=</c>)
/// by: each wire name maps to a selector over the entity, so a caller can only ever reach the columns named
/// here, and every value becomes a typed query parameter, never SQL text. Names are case-insensitive.
/// </summary>
internal sealed class ApiAttributes<T>(Expression<Func<T, string>> id)
{
    private readonly Dictionary<string, ApiAttribute<T>> _byName = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The unique key every sort ends with, so pages never overlap or skip rows that tie.</summary>
    public Expression<Func<T, string>> Id { get; } = id;

    public IEnumerable<ApiAttribute<T>> All => _byName.Values;

    /// <summary>
    /// A string attribute (eq, ne, sw, in, nin). <paramref name="normalize"/> rewrites each compared value,
    /// for a selector that targets a normalized column (e.g. lowercase names compared case-insensitively).
    /// </summary>
    /// <param name="ordinal">
    /// Set only when the column orders by code point on every provider (SQLite's default BINARY collation, a
    /// PostgreSQL column with collation "C"): then <c>sw</c> also becomes a range of the column, which an index
    /// on it can serve, where LIKE cannot (SQLite's LIKE ignores case; PostgreSQL's needs a "C" collation). Under
    /// a linguistic collation the range would be wrong: "az…" sorts after "a{" there, so rows would go missing.
    /// </param>
    public ApiAttributes<T> String(
        string name, Expression<Func<T, string>> selector, bool filter = true, bool sort = false, Func<string, string>? normalize = null, bool ordinal = false) =>
        Add(new ApiAttribute<T, string>(name, ApiValueType.String, selector, filter, sort, literal =>
            literal.Kind == QueryLiteralKind.String
                ? Parsed<string>.Ok(normalize is null ? literal.Text : normalize(literal.Text))
                : Parsed<string>.Fail($"'{name}' is compared with a \"quoted string\"."), ordinal));

    public ApiAttributes<T> Boolean(string name, Expression<Func<T, bool>> selector, bool filter = true, bool sort = false) =>
        Add(new ApiAttribute<T, bool>(name, ApiValueType.Boolean, selector, filter, sort, literal =>
            bool.TryParse(literal.Text, out var value) && literal.Kind != QueryLiteralKind.Number
                ? Parsed<bool>.Ok(value)
                : Parsed<bool>.Fail($"'{name}' is compared with true or false.")));

    /// <summary>An enum attribute compared by its Wristband wire name (eq, ne, in, nin).</summary>
    public ApiAttributes<T> Enum<TEnum>(string name, Expression<Func<T, TEnum>> selector, bool filter = true, bool sort = false)
        where TEnum : struct, System.Enum =>
        Add(new ApiAttribute<T, TEnum>(name, ApiValueType.Enum, selector, filter, sort, literal =>
            literal.Kind == QueryLiteralKind.String && WireName<TEnum>.TryParse(literal.Text.ToUpperInvariant(), out var value)
                ? Parsed<TEnum>.Ok(value)
                : Parsed<TEnum>.Fail($"'{name}' is one of {string.Join(", ", WireName<TEnum>.All.Select(v => $"\"{v}\""))}.")));

    /// <summary>A point in time, compared with an ISO-8601 string (e.g. <c>"2025-01-31T12:00:00Z"</c>).</summary>
    public ApiAttributes<T> Time(string name, Expression<Func<T, DateTimeOffset>> selector, bool filter = true, bool sort = false) =>
        Add(new ApiAttribute<T, DateTimeOffset>(name, ApiValueType.DateTime, selector, filter, sort, literal =>
            literal.Kind == QueryLiteralKind.String
            && DateTimeOffset.TryParse(literal.Text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value)
                ? Parsed<DateTimeOffset>.Ok(value)
                : Parsed<DateTimeOffset>.Fail($"'{name}' is compared with an ISO-8601 date-time string such as \"2025-01-31T12:00:00Z\".")));

    public ApiAttributes<T> Long(string name, Expression<Func<T, long>> selector, bool filter = true, bool sort = false) =>
        Add(new ApiAttribute<T, long>(name, ApiValueType.Long, selector, filter, sort, literal =>
            literal.Kind != QueryLiteralKind.Boolean && long.TryParse(literal.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
                ? Parsed<long>.Ok(value)
                : Parsed<long>.Fail($"'{name}' is compared with a whole number.")));

    public ApiAttribute<T>? Find(string name) => _byName.GetValueOrDefault(name);

    public string FilterableNames => string.Join(", ", _byName.Values.Where(a => a.Filterable).Select(a => a.Name));

    public string SortableNames => string.Join(", ", _byName.Values.Where(a => a.Sortable).Select(a => a.Name));

    private ApiAttributes<T> Add(ApiAttribute<T> attribute)
    {
        _byName.Add(attribute.Name, attribute);
        return this;
    }
}

/// <summary>One allowed attribute: what it may be compared with, and how it becomes an expression.</summary>
internal abstract class ApiAttribute<T>(string name, ApiValueType type, bool filterable, bool sortable)
{
    public string Name { get; } = name;

    public ApiValueType Type { get; } = type;

    public bool Filterable { get; } = filterable;

    public bool Sortable { get; } = sortable;

    public IReadOnlyList<QueryOperator> Operators => Type switch
    {
        ApiValueType.String => [QueryOperator.Eq, QueryOperator.Ne, QueryOperator.Sw, QueryOperator.In, QueryOperator.Nin],
        ApiValueType.Boolean => [QueryOperator.Eq, QueryOperator.Ne],
        ApiValueType.Enum => [QueryOperator.Eq, QueryOperator.Ne, QueryOperator.In, QueryOperator.Nin],
        ApiValueType.DateTime => [QueryOperator.Eq, QueryOperator.Ne, QueryOperator.Lt, QueryOperator.Le, QueryOperator.Gt, QueryOperator.Ge],
        _ => [QueryOperator.Eq, QueryOperator.Ne, QueryOperator.Lt, QueryOperator.Le, QueryOperator.Gt, QueryOperator.Ge, QueryOperator.In, QueryOperator.Nin],
    };

    /// <summary>The comparison over <paramref name="item"/>, or why the values do not fit this attribute.</summary>
    public abstract Parsed<Expression> Compare(ParameterExpression item, QueryOperator op, IReadOnlyList<QueryLiteral> values);

    public abstract IOrderedQueryable<T> OrderBy(IQueryable<T> source, bool descending);

    public abstract IOrderedQueryable<T> ThenBy(IOrderedQueryable<T> source, bool descending);
}

internal sealed class ApiAttribute<T, TValue>(
    string name,
    ApiValueType type,
    Expression<Func<T, TValue>> selector,
    bool filterable,
    bool sortable,
    Func<QueryLiteral, Parsed<TValue>> parse,
    bool ordinal = false)
    : ApiAttribute<T>(name, type, filterable, sortable)
{
    private static readonly System.Reflection.MethodInfo StartsWith = typeof(string).GetMethod(nameof(string.StartsWith), [typeof(string)])!;
    private static readonly System.Reflection.MethodInfo Substring = typeof(string).GetMethod(nameof(string.Substring), [typeof(int), typeof(int)])!;

    public override Parsed<Expression> Compare(ParameterExpression item, QueryOperator op, IReadOnlyList<QueryLiteral> values)
    {
        var typed = new List<TValue>(values.Count);
        foreach (var literal in values)
        {
            var value = parse(literal);
            if (!value.IsValid)
            {
                return Parsed<Expression>.Fail(value.Error);
            }

            typed.Add(value.Value!);
        }

        var column = ParameterSwap.Replace(selector.Body, selector.Parameters[0], item);
        Expression Single(Func<Expression, Expression, Expression> compare) => compare(column, Parameter(typed[0]));
        return Parsed<Expression>.Ok(op switch
        {
            QueryOperator.Eq => Single(Expression.Equal),
            QueryOperator.Ne => Single(Expression.NotEqual),
            QueryOperator.Lt => Single(Expression.LessThan),
            QueryOperator.Le => Single(Expression.LessThanOrEqual),
            QueryOperator.Gt => Single(Expression.GreaterThan),
            QueryOperator.Ge => Single(Expression.GreaterThanOrEqual),
            QueryOperator.Sw => StartsWithExactly(column, typed[0]),

            // A bounded list (QueryFilter.MaxTerms), so an OR/AND chain of parameterized comparisons
            // translates the same on every provider, value converters included.
            QueryOperator.In => typed.Select(v => (Expression)Expression.Equal(column, Parameter(v))).Aggregate(Expression.OrElse),
            _ => typed.Select(v => (Expression)Expression.NotEqual(column, Parameter(v))).Aggregate(Expression.AndAlso),
        });
    }

    public override IOrderedQueryable<T> OrderBy(IQueryable<T> source, bool descending) =>
        descending ? source.OrderByDescending(selector) : source.OrderBy(selector);

    public override IOrderedQueryable<T> ThenBy(IOrderedQueryable<T> source, bool descending) =>
        descending ? source.ThenByDescending(selector) : source.ThenBy(selector);

    private static MemberExpression Parameter(TValue value) => SqlParameter.Of(value);

    /// <summary>
    /// A case-sensitive prefix match on every provider: SQLite's LIKE (what StartsWith becomes) ignores ASCII
    /// case, so the prefix is compared exactly as well. StartsWith stays before the substring so that in memory
    /// the substring is only taken of a value long enough. On an ordinal column the range of
    /// <see cref="PrefixRange"/> comes first: an index range the database can seek, with the match as the
    /// residual check, so the rows are exactly those of the match alone.
    /// </summary>
    private Expression StartsWithExactly(Expression column, TValue prefix)
    {
        var text = (string)(object)prefix!;
        var value = Parameter(prefix);
        var length = SqlParameter.Of(text.Length);
        Expression match = Expression.AndAlso(
            Expression.Call(column, StartsWith, value),
            Expression.Equal(Expression.Call(column, Substring, Expression.Constant(0), length), value));
        if (!ordinal || !PrefixRange.TryGet(text, out var upper))
        {
            return match;
        }

        if (upper is not null)
        {
            match = Expression.AndAlso(PrefixRange.Compare(column, upper, Expression.LessThan), match);
        }

        return Expression.AndAlso(PrefixRange.Compare(column, text, Expression.GreaterThanOrEqual), match);
    }
}

/// <summary>
/// The values that start with a prefix, as a range <c>[prefix, upper)</c> in code-point order: what an index
/// of a column ordered by code point (UTF-8 bytes) can seek. The comparisons are <c>string.Compare(a, b) op 0</c>,
/// which EF Core translates to plain <c>a op b</c> in SQL; in memory <see cref="ApiList.Page{T}"/> makes them
/// ordinal (<see cref="Ordinal"/>), as the culture's order is not the column's.
/// </summary>
internal static class PrefixRange
{
    private static readonly System.Reflection.MethodInfo CultureCompare = typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!;
    private static readonly System.Reflection.MethodInfo OrdinalCompare = typeof(string).GetMethod(nameof(string.CompareOrdinal), [typeof(string), typeof(string)])!;

    /// <summary>
    /// False when no range helps (the empty prefix matches everything) or when the prefix holds a surrogate:
    /// UTF-16 and code-point order disagree there, and a half pair cannot be sent to a database as text.
    /// Otherwise <paramref name="upper"/> is the least string above every value with the prefix: the prefix
    /// with its last character incremented, trailing <see cref="char.MaxValue"/> dropped first; null when the
    /// prefix is all <see cref="char.MaxValue"/>, and then the range has no upper end.
    /// </summary>
    public static bool TryGet(string prefix, out string? upper)
    {
        upper = null;
        if (prefix.Length == 0 || prefix.Any(char.IsSurrogate))
        {
            return false;
        }

        for (var i = prefix.Length - 1; i >= 0; i--)
        {
            if (prefix[i] == char.MaxValue)
            {
                continue;
            }

            var chars = prefix.ToCharArray(0, i + 1);
            chars[i]++;

            // Past U+D7FF comes the surrogate block: no character lies between U+D7FF and U+E000 in code-point
            // order, and a lone surrogate is not text.
            if (char.IsSurrogate(chars[i]))
            {
                chars[i] = '\uE000';
            }

            upper = new string(chars);
            return true;
        }

        return true;
    }

    public static BinaryExpression Compare(Expression column, string bound, Func<Expression, Expression, BinaryExpression> op) =>
        op(Expression.Call(CultureCompare, column, SqlParameter.Of(bound)), Expression.Constant(0));

    /// <summary>
    /// The same filter with every <c>string.Compare(a, b)</c> made ordinal, for evaluation in memory. UTF-16
    /// order differs from code-point order only past a surrogate, and a bound holds none, so every value with
    /// the prefix still falls inside the range, whatever follows the prefix.
    /// </summary>
    public static Expression<Func<T, bool>> Ordinal<T>(Expression<Func<T, bool>> filter) =>
        (Expression<Func<T, bool>>)new OrdinalRewriter().Visit(filter);

    private sealed class OrdinalRewriter : ExpressionVisitor
    {
        protected override Expression VisitMethodCall(MethodCallExpression node) =>
            node.Method == CultureCompare
                ? Expression.Call(OrdinalCompare, Visit(node.Arguments[0]), Visit(node.Arguments[1]))
                : base.VisitMethodCall(node);
    }
}

/// <summary>
/// A caller's value as an expression EF Core sends as a SQL parameter: a member of an object (not a
/// constant), the way a captured variable looks, so it is never inlined into the SQL text.
/// </summary>
internal static class SqlParameter
{
    public static MemberExpression Of<TValue>(TValue value) =>
        Expression.Property(Expression.Constant(new Box<TValue>(value)), nameof(Box<TValue>.Value));

    private sealed class Box<TValue>(TValue value)
    {
        public TValue Value { get; } = value;
    }
}

/// <summary>Rebinds a selector's body to the one parameter of the lambda being built.</summary>
internal sealed class ParameterSwap(ParameterExpression from, Expression to) : ExpressionVisitor
{
    public static Expression Replace(Expression body, ParameterExpression from, Expression to) => new ParameterSwap(from, to).Visit(body);

    protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : base.VisitParameter(node);
}
