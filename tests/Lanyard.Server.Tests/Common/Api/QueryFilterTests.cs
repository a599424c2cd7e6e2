using Lanyard.Server.Common.Api;
using static Lanyard.Server.Tests.Common.Api.ApiListFixtures;

namespace Lanyard.Server.Tests.Common.Api;

// A seeded generator keeps the fuzz inputs reproducible; nothing here is a secret.
#pragma warning disable CA5394

/// <summary>The query language on a list in memory: every operator, precedence, and the refusals.</summary>
public sealed class QueryFilterTests
{
    [Theory]
    [InlineData("name eq \"alpha\"", "t01")]
    [InlineData("NAME EQ \"ALPHA\"", "t01")]
    [InlineData("name ne \"alpha\"", "t02,t03,t04,t05,t06")]
    [InlineData("name sw \"AL\"", "t01,t05")]
    [InlineData("name in (\"beta\", \"GAMMA\", \"nobody\")", "t02,t03")]
    [InlineData("name nin (\"beta\",\"gamma\")", "t01,t04,t05,t06")]
    [InlineData("displayName eq \"gamma\"", "t03")]
    [InlineData("displayName eq \"Gamma\"", "")]
    [InlineData("displayName sw \"Al\"", "t01,t05")]
    [InlineData("status eq \"ACTIVE\"", "t01,t03,t05,t06")]
    [InlineData("status eq \"inactive\"", "t02")]
    [InlineData("status ne \"ACTIVE\"", "t02,t04")]
    [InlineData("status in (\"INACTIVE\", \"DELETE_IN_PROGRESS\")", "t02,t04")]
    [InlineData("status nin (\"ACTIVE\")", "t02,t04")]
    [InlineData("signupEnabled eq true", "t01,t04,t05")]
    [InlineData("signupEnabled eq \"false\"", "t02,t03,t06")]
    [InlineData("signupEnabled ne true", "t02,t03,t06")]
    [InlineData("creationTime lt \"2025-03-01T12:02:00Z\"", "t01,t02")]
    [InlineData("creationTime le \"2025-03-01T12:02:00Z\"", "t01,t02,t03")]
    [InlineData("creationTime gt \"2025-03-01T12:03:00Z\"", "t05,t06")]
    [InlineData("creationTime ge \"2025-03-01T14:03:00+02:00\"", "t04,t05,t06")]
    [InlineData("creationTime eq \"2025-03-01T12:00:00Z\"", "t01")]
    [InlineData("creationTime ne \"2025-03-01T12:00:00Z\"", "t02,t03,t04,t05,t06")]
    [InlineData("version gt 3", "t04,t05")]
    [InlineData("version le \"2\"", "t01,t02,t06")]
    [InlineData("version in (1, 5)", "t01,t05,t06")]
    [InlineData("version nin (1, 5)", "t02,t03,t04")]
    [InlineData("version ge -1", "t01,t02,t03,t04,t05,t06")]
    [InlineData("id eq \"t03\"", "t03")]
    public void Each_operator_selects_what_it_says(string query, string expected) =>
        Assert.Equal(Split(expected), Matching(query));

    [Theory]
    // "and" binds tighter than "or": a or (b and c).
    [InlineData("name eq \"beta\" or status eq \"ACTIVE\" and signupEnabled eq true", "t01,t02,t05")]
    [InlineData("(name eq \"beta\" or status eq \"ACTIVE\") and signupEnabled eq true", "t01,t05")]
    [InlineData("status eq \"ACTIVE\" and signupEnabled eq true or name eq \"beta\"", "t01,t02,t05")]
    [InlineData("status eq \"ACTIVE\" AND (signupEnabled eq true OR name eq \"gamma\")", "t01,t03,t05")]
    [InlineData("((((name sw \"al\"))))", "t01,t05")]
    [InlineData("(name sw \"al\" and (version gt 1 or id eq \"t01\")) or (status eq \"INACTIVE\")", "t01,t02,t05")]
    [InlineData("status ne \"INACTIVE\" and status ne \"DELETE_IN_PROGRESS\"", "t01,t03,t05,t06")]
    [InlineData("  name   eq\"alpha\"  ", "t01")]
    [InlineData("", "t01,t02,t03,t04,t05,t06")]
    public void And_binds_tighter_than_or_and_parentheses_group(string query, string expected) =>
        Assert.Equal(Split(expected), Matching(query));

    [Theory]
    [InlineData("displayName eq \"x' OR 1=1 --\"", "t06")]
    [InlineData("name eq \"x' OR 1=1 --\"", "")]
    [InlineData("name eq \"alpha\\\" or name ne \\\"\"", "")]
    [InlineData("displayName eq \"\\\\\"", "")]
    [InlineData("name eq \"'; DROP TABLE tenants; --\"", "")]
    public void Injection_looking_values_are_plain_values(string query, string expected) =>
        Assert.Equal(Split(expected), Matching(query));

    [Theory]
    [InlineData("nickname eq \"x\"", "Unknown attribute 'nickname'")]
    [InlineData("description eq \"x\"", "Unknown attribute")]
    [InlineData("signupEnabled lt true", "The operator 'lt' does not apply to 'signupEnabled'")]
    [InlineData("signupEnabled sw \"t\"", "does not apply")]
    [InlineData("status gt \"ACTIVE\"", "does not apply")]
    [InlineData("name lt \"b\"", "does not apply")]
    [InlineData("creationTime in (\"2025-01-01T00:00:00Z\")", "does not apply")]
    [InlineData("creationTime sw \"2025\"", "does not apply")]
    [InlineData("status eq \"ON_FIRE\"", "\"ACTIVE\"")]
    [InlineData("status eq ACTIVE", "Expected a value")]
    [InlineData("signupEnabled eq 1", "true or false")]
    [InlineData("signupEnabled eq \"yes\"", "true or false")]
    [InlineData("creationTime gt \"yesterday\"", "ISO-8601")]
    [InlineData("creationTime gt 5", "ISO-8601")]
    [InlineData("version eq 1.5", "whole number")]
    [InlineData("version eq true", "whole number")]
    [InlineData("name eq 5", "quoted string")]
    [InlineData("name eq true", "quoted string")]
    [InlineData("name eq 'alpha'", "Unexpected character")]
    [InlineData("name eq \"alpha", "Unterminated string")]
    [InlineData("name eq \"a\\nb\"", "Invalid escape")]
    [InlineData("name", "Expected an operator")]
    [InlineData("name equals \"x\"", "Expected an operator")]
    [InlineData("name eq", "Expected a value")]
    [InlineData("eq \"x\"", "Expected an operator")]
    [InlineData("\"x\" eq name", "Expected an attribute name")]
    [InlineData("name eq \"x\" and", "ends where a comparison")]
    [InlineData("name eq \"x\" or or name eq \"y\"", "Expected an attribute name")]
    [InlineData("and name eq \"x\"", "Expected an attribute name")]
    [InlineData("name eq \"x\" name eq \"y\"", "Expected 'and', 'or'")]
    [InlineData("name eq \"x\" xor name eq \"y\"", "Expected 'and', 'or'")]
    [InlineData("(name eq \"x\"", "Unbalanced parentheses")]
    [InlineData("name eq \"x\")", "Unbalanced parentheses")]
    [InlineData("((name eq \"x\")", "Unbalanced parentheses")]
    [InlineData("()", "Expected an attribute name")]
    [InlineData(")(", "Expected an attribute name")]
    [InlineData("name in \"x\"", "Expected '('")]
    [InlineData("name in ()", "Expected a value")]
    [InlineData("name in (\"a\" \"b\")", "Expected ',' or ')'")]
    [InlineData("name in (\"a\",)", "Expected a value")]
    [InlineData("name in (\"a\"", "Expected ',' or ')'")]
    [InlineData("name eq \"a\" ; name eq \"b\"", "Unexpected character")]
    [InlineData("name eq 12abc", "Malformed number")]
    [InlineData("name eq \"x\" -- comment", "Unexpected character")]
    public void Malformed_or_disallowed_queries_are_refused_with_a_message(string query, string message) =>
        Assert.Contains(message, Refusal(query), StringComparison.Ordinal);

    [Fact]
    public void The_limits_on_length_depth_and_terms_hold()
    {
        Assert.Contains("too long", Refusal("name eq \"" + new string('a', QueryFilter.MaxLength) + "\""), StringComparison.Ordinal);

        var deepestAllowed = new string('(', QueryFilter.MaxDepth) + "name eq \"alpha\"" + new string(')', QueryFilter.MaxDepth);
        Assert.Equal(["t01"], Matching(deepestAllowed));
        var tooDeep = new string('(', QueryFilter.MaxDepth + 1) + "name eq \"alpha\"" + new string(')', QueryFilter.MaxDepth + 1);
        Assert.Contains("nested too deeply", Refusal(tooDeep), StringComparison.Ordinal);

        // Far deeper than any stack would survive unguarded: refused, not a crash.
        Assert.Contains("nested too deeply", Refusal(new string('(', 1999)), StringComparison.Ordinal);

        var fifty = string.Join(" or ", Enumerable.Range(0, QueryFilter.MaxTerms).Select(i => $"version eq {i}"));
        Assert.Equal(Split("t01,t02,t03,t04,t05,t06"), Matching(fifty));
        var fiftyOne = fifty + " or version eq 99";
        Assert.Contains("too many terms", Refusal(fiftyOne), StringComparison.Ordinal);
        var longList = "version in (" + string.Join(",", Enumerable.Range(0, QueryFilter.MaxTerms + 1)) + ")";
        Assert.Contains("too many terms", Refusal(longList), StringComparison.Ordinal);
        var listsTogether = "version in (" + string.Join(",", Enumerable.Range(0, 30)) + ") and version nin (" + string.Join(",", Enumerable.Range(0, 30)) + ")";
        Assert.Contains("too many terms", Refusal(listsTogether), StringComparison.Ordinal);
    }

    [Fact]
    public void Random_garbage_never_throws_and_either_parses_or_gives_a_message()
    {
        string[] pieces =
        [
            "name", "displayName", "status", "signupEnabled", "creationTime", "version", "bogus", "eq", "ne", "sw", "lt", "le", "gt", "ge",
            "in", "nin", "and", "or", "AND", "Or", "true", "false", "(", ")", ",", "\"", "\"alpha\"", "\"ACTIVE\"", "\"2025-03-01T12:00:00Z\"",
            "1", "-2", "3.5", "'", ";", "--", "\\", "\\\"", "=", "*", " ", " ", " ", "\u0000", "é", "\t",
        ];
        var random = new Random(20250301);
        var tenants = Tenants();
        var parsed = 0;
        for (var run = 0; run < 20_000; run++)
        {
            var length = random.Next(0, 16);
            var text = string.Concat(Enumerable.Range(0, length).Select(_ => pieces[random.Next(pieces.Length)] + (random.Next(3) == 0 ? "" : " ")));
            var result = QueryTranslator.Parse(text, Attributes);
            if (result.IsValid)
            {
                parsed++;
                if (result.Value is { } filter)
                {
                    _ = tenants.Where(filter.Compile()).Count();
                }
            }
            else
            {
                Assert.False(string.IsNullOrWhiteSpace(result.Error));
            }
        }

        Assert.True(parsed > 0, "the generator never produced a valid query");
    }

    [Fact]
    public void Random_characters_never_throw()
    {
        var random = new Random(7);
        for (var run = 0; run < 20_000; run++)
        {
            var chars = new char[random.Next(0, 40)];
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = (char)random.Next(0, 128);
            }

            var result = QueryTranslator.Parse(new string(chars), Attributes);
            Assert.True(result.IsValid || result.Error.Length > 0);
        }
    }

    private static string[] Split(string ids) => ids.Length == 0 ? [] : ids.Split(',');
}
