using System.Linq.Expressions;

namespace Lanyard.Server.Common.Api;

/// <summary>
/// Turns a parsed <c>query=</c> tree into a predicate over the resource type through the resource's
/// allow-list. The predicate is an ordinary expression tree: EF Core translates it to SQL with every
/// compared value as a parameter, and a list in memory can run it as well.
/// </summary>
internal static class QueryTranslator
{
    public static Parsed<Expression<Func<T, bool>>?> Translate<T>(QueryNode? node, ApiAttributes<T> attributes)
    {
        if (node is null)
        {
            return Parsed<Expression<Func<T, bool>>?>.Ok(null);
        }

        var item = Expression.Parameter(typeof(T), "item");
        var body = Build(node, item, attributes);
        return body.IsValid
            ? Parsed<Expression<Func<T, bool>>?>.Ok(Expression.Lambda<Func<T, bool>>(body.Value!, item))
            : Parsed<Expression<Func<T, bool>>?>.Fail(body.Error);
    }

    /// <summary>Parses and translates in one step.</summary>
    public static Parsed<Expression<Func<T, bool>>?> Parse<T>(string? text, ApiAttributes<T> attributes)
    {
        var tree = QueryFilter.Parse(text);
        return tree.IsValid ? Translate(tree.Value, attributes) : Parsed<Expression<Func<T, bool>>?>.Fail(tree.Error);
    }

    private static Parsed<Expression> Build<T>(QueryNode node, ParameterExpression item, ApiAttributes<T> attributes)
    {
        switch (node)
        {
            case QueryAnd and:
                return Combine(Build(and.Left, item, attributes), Build(and.Right, item, attributes), Expression.AndAlso);
            case QueryOr or:
                return Combine(Build(or.Left, item, attributes), Build(or.Right, item, attributes), Expression.OrElse);
            case QueryComparison comparison:
                var attribute = attributes.Find(comparison.Attribute);
                if (attribute is null || !attribute.Filterable)
                {
                    return Parsed<Expression>.Fail(
                        $"Unknown attribute '{QueryFilter.Clip(comparison.Attribute)}' in the query; filterable attributes: {attributes.FilterableNames}.");
                }

                if (!attribute.Operators.Contains(comparison.Operator))
                {
                    return Parsed<Expression>.Fail(
                        $"The operator '{comparison.Operator.Name()}' does not apply to '{attribute.Name}'; use one of {string.Join(", ", attribute.Operators.Select(o => o.Name()))}.");
                }

                return attribute.Compare(item, comparison.Operator, comparison.Values);
            default:
                throw new InvalidOperationException($"Unknown query node {node.GetType().Name}.");
        }
    }

    private static Parsed<Expression> Combine(Parsed<Expression> left, Parsed<Expression> right, Func<Expression, Expression, BinaryExpression> join) =>
        !left.IsValid ? left
        : !right.IsValid ? right
        : Parsed<Expression>.Ok(join(left.Value!, right.Value!));
}
