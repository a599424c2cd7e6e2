using System.Text;
using System.Text.Json.Nodes;
using Lanyard.Server.Common;
using Lanyard.Server.Common.Api;
using Microsoft.AspNetCore.Http;

namespace Lanyard.Server.Tests.Common.Api;

/// <summary>JSON Merge Patch reading (RFC 7396) without a server: absent, null and value; types; read-only and unknown fields; the body rules.</summary>
public sealed class MergePatchTests
{
    private static MergePatch Patch(string json) => MergePatch.Of(JsonNode.Parse(json)!.AsObject());

    [Fact]
    public void Absent_null_and_value_are_three_different_things()
    {
        var patch = Patch("""{"a":null,"b":"x"}""");

        Assert.True(patch.String("missing").IsAbsent);
        Assert.True(patch.String("a").IsNull);
        var b = patch.String("b");
        Assert.True(b.HasValue);
        Assert.Equal("x", b.Value);
        Assert.True(patch.Violations.IsEmpty);
    }

    [Fact]
    public void A_null_where_the_field_cannot_be_empty_is_required()
    {
        var patch = Patch("""{"displayName":null,"enabled":null}""");

        patch.String("displayName", nullable: false);
        patch.Boolean("enabled");

        Assert.True(patch.Violations.Has("displayName", ViolationCodes.Required));
        Assert.True(patch.Violations.Has("enabled", ViolationCodes.Required));
    }

    [Theory]
    [InlineData("""{"f":1}""", "string")]
    [InlineData("""{"f":true}""", "string")]
    [InlineData("""{"f":{}}""", "string")]
    public void A_value_of_another_type_is_a_format_violation_naming_the_type(string json, string type)
    {
        var patch = Patch(json);

        Assert.True(patch.String("f").IsAbsent);

        var violation = Assert.Single(patch.Violations.ByField["f"]);
        Assert.Equal(ViolationCodes.InvalidFormat, violation.Code);
        Assert.Equal(type, violation.ConstraintAttributes!["type"]);
    }

    [Fact]
    public void Booleans_objects_and_string_arrays_are_typed()
    {
        var patch = Patch("""{"b":"true","o":[],"s":["a",2],"t":["a","b"],"ok":false}""");

        Assert.True(patch.Boolean("b").IsAbsent);
        Assert.True(patch.Object("o").IsAbsent);
        Assert.True(patch.Strings("s").IsAbsent);
        Assert.Equal(["a", "b"], patch.Strings("t").Value!);
        var ok = patch.Boolean("ok");
        Assert.True(ok.HasValue);
        Assert.False(ok.Value);
        Assert.Equal(["b", "o", "s"], patch.Violations.ByField.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Object_text_is_compact_and_bounded()
    {
        var patch = Patch("""{"m":{ "plan" : "gold" },"big":{"x":"0123456789"}}""");

        Assert.Equal("""{"plan":"gold"}""", patch.ObjectText("m", 100).Value);
        Assert.True(patch.ObjectText("big", 10).IsAbsent);
        Assert.True(patch.Violations.Has("big", ViolationCodes.TooLong));
    }

    [Fact]
    public void Every_property_nobody_asked_for_is_an_unknown_field()
    {
        var patch = Patch("""{"known":"x","typo":"y"}""");

        patch.String("known");
        patch.RefuseUnknown();

        var violation = Assert.Single(patch.Violations.ByField["typo"]);
        Assert.Equal(ViolationCodes.InvalidValue, violation.Code);
        Assert.Equal(MergePatch.ReasonUnknownField, violation.ConstraintAttributes!["reason"]);
        Assert.False(patch.Violations.ByField.ContainsKey("known"));
    }

    [Fact]
    public void A_read_only_field_may_repeat_its_value_but_not_change_it()
    {
        var current = new JsonObject { ["id"] = "abc", ["metadata"] = new JsonObject { ["version"] = 3, ["creationTime"] = DateTimeOffset.UnixEpoch } };
        var same = Patch("""{"id":"abc","metadata":{"creationTime":"1970-01-01T00:00:00+00:00","version":3}}""");
        same.ReadOnly("id", current);
        same.ReadOnly("metadata", current);
        same.RefuseUnknown();
        Assert.True(same.Violations.IsEmpty, same.Violations.ToString());

        var changed = Patch("""{"id":"xyz"}""");
        changed.ReadOnly("id", current, reason: "immutable");
        Assert.Equal("immutable", Assert.Single(changed.Violations.ByField["id"]).ConstraintAttributes!["reason"]);
    }

    [Fact]
    public void Changes_compares_with_the_current_json()
    {
        var current = new JsonObject { ["status"] = "ACTIVE", ["meta"] = new JsonObject { ["a"] = 1, ["b"] = 2 }, ["gone"] = null };
        var patch = Patch("""{"status":"ACTIVE","meta":{"b":2,"a":1},"gone":null,"other":1}""");

        Assert.False(patch.Changes("status", current));
        Assert.False(patch.Changes("meta", current));
        Assert.False(patch.Changes("gone", current));
        Assert.False(patch.Changes("absent", current));
        Assert.True(Patch("""{"status":"INACTIVE"}""").Changes("status", current));
        Assert.True(Patch("""{"gone":{}}""").Changes("gone", current));
    }

    [Theory]
    [InlineData("application/json", """{"a":1}""", 0)]
    [InlineData("application/merge-patch+json; charset=utf-8", """{"a":1}""", 0)]
    [InlineData("application/json", """{"a":1,"a":2}""", 400)]
    [InlineData("application/json", "[]", 400)]
    [InlineData("application/json", "{", 400)]
    [InlineData("application/json", "", 400)]
    [InlineData("text/plain", """{"a":1}""", 415)]
    [InlineData(null, """{"a":1}""", 415)]
    public async Task The_body_must_be_one_json_object(string? contentType, string body, int status)
    {
        var (patch, error) = await MergePatch.ReadAsync(Request(contentType, body), CancellationToken.None);

        if (status == 0)
        {
            Assert.NotNull(patch);
            Assert.Null(error);
        }
        else
        {
            Assert.Null(patch);
            Assert.Equal(status, Assert.IsAssignableFrom<IStatusCodeHttpResult>(error).StatusCode);
        }
    }

    [Fact]
    public async Task A_body_past_the_limit_is_refused_even_without_a_content_length()
    {
        var body = "{\"a\":\"" + new string('x', MergePatch.MaxBodyBytes) + "\"}";
        var request = Request("application/json", body);
        request.ContentLength = null;

        var (patch, error) = await MergePatch.ReadAsync(request, CancellationToken.None);

        Assert.Null(patch);
        Assert.Equal(413, Assert.IsAssignableFrom<IStatusCodeHttpResult>(error).StatusCode);
    }

    private static HttpRequest Request(string? contentType, string body)
    {
        var context = new DefaultHttpContext();
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Request.Body = new MemoryStream(bytes);
        context.Request.ContentLength = bytes.Length;
        context.Request.ContentType = contentType;
        return context.Request;
    }
}
