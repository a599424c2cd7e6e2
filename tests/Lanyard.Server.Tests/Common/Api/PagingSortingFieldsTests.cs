using System.Text.Json.Nodes;
using Lanyard.Server.Common.Api;
using Lanyard.Server.Features.Tenants;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using static Lanyard.Server.Tests.Common.Api.ApiListFixtures;

namespace Lanyard.Server.Tests.Common.Api;

/// <summary>start_index/count, sort_by and fields, through the one list helper over a list in memory.</summary>
public sealed class PagingSortingFieldsTests
{
    [Fact]
    public void Defaults_are_the_first_page_of_fifty_in_id_order()
    {
        var page = List("");
        Assert.Equal(6, page.TotalResults);
        Assert.Equal(1, page.StartIndex);
        Assert.Equal(6, page.ItemsPerPage);
        Assert.Equal(["t01", "t02", "t03", "t04", "t05", "t06"], Ids(page));
    }

    [Theory]
    [InlineData("start_index=1&count=2", 1, "t01,t02")]
    [InlineData("start_index=3&count=2", 3, "t03,t04")]
    [InlineData("start_index=5&count=2", 5, "t05,t06")]
    [InlineData("start_index=6&count=10", 6, "t06")]
    [InlineData("start_index=7&count=10", 7, "")]
    [InlineData("start_index=1000000&count=10", 1000000, "")]
    [InlineData("startIndex=2&count=1", 2, "t02")]
    [InlineData("start_index=4&startIndex=2&count=1", 4, "t04")]
    [InlineData("count=1000", 1, "t01,t02,t03,t04,t05,t06")]
    public void Pages_are_cut_by_start_index_and_count(string query, int start, string expected)
    {
        var page = List(query);
        Assert.Equal(6, page.TotalResults);
        Assert.Equal(start, page.StartIndex);
        var ids = expected.Length == 0 ? [] : expected.Split(',');
        Assert.Equal(ids, Ids(page));
        Assert.Equal(ids.Length, page.ItemsPerPage);
    }

    [Fact]
    public void Count_zero_gives_only_the_total()
    {
        var page = List("count=0&query=" + Uri.EscapeDataString("status eq \"ACTIVE\""));
        Assert.Equal(4, page.TotalResults);
        Assert.Equal(0, page.ItemsPerPage);
        Assert.Empty(page.Items);
    }

    [Theory]
    [InlineData("start_index=0")]
    [InlineData("start_index=-1")]
    [InlineData("start_index=abc")]
    [InlineData("start_index=1.5")]
    [InlineData("start_index=%2B1")]
    [InlineData("start_index=99999999999")]
    [InlineData("startIndex=0")]
    [InlineData("count=-1")]
    [InlineData("count=1001")]
    [InlineData("count=ten")]
    [InlineData("count=1&count=2")]
    [InlineData("query=a&query=b")]
    [InlineData("sort_by=name&sort_by=displayName")]
    [InlineData("fields=id&fields=name")]
    public void Bad_paging_is_invalid_request(string query)
    {
        var error = Refused(query);
        Assert.Equal(ListError.InvalidRequest, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Theory]
    [InlineData("sort_by=name", "t01,t05,t02,t04,t03,t06")]
    [InlineData("sort_by=NAME:ASC", "t01,t05,t02,t04,t03,t06")]
    [InlineData("sort_by=name:desc", "t06,t03,t04,t02,t05,t01")]
    [InlineData("sort_by=creationTime:desc", "t06,t05,t04,t03,t02,t01")]
    [InlineData("sort_by=version:desc,name:asc", "t05,t04,t03,t02,t01,t06")]
    [InlineData("sort_by=version,name:desc", "t06,t01,t02,t03,t04,t05")]
    [InlineData("sortBy=version", "t01,t06,t02,t03,t04,t05")]
    [InlineData("sort_by=", "t01,t02,t03,t04,t05,t06")]
    public void Sorting_follows_the_keys_in_order_and_ties_break_on_id(string query, string expected) =>
        Assert.Equal(expected.Split(','), Ids(List(query)));

    [Theory]
    [InlineData("sort_by=nickname")]
    [InlineData("sort_by=status")]
    [InlineData("sort_by=name:up")]
    [InlineData("sort_by=name,")]
    [InlineData("sort_by=a,b,c,d,e,f,g,h,i,j,k")]
    public void Bad_sorting_is_invalid_sort(string query) => Assert.Equal(ListError.InvalidSort, Refused(query).Code);

    [Fact]
    public void A_bad_query_is_invalid_query() =>
        Assert.Equal(ListError.InvalidQuery, Refused("query=" + Uri.EscapeDataString("name lt \"x\"")).Code);

    [Fact]
    public void Fields_keep_the_named_properties_and_always_the_id()
    {
        var item = Assert.Single(List("count=1&fields=" + Uri.EscapeDataString("NAME, metadata.version, bogus, status.x")).Items);
        Assert.Equal(["id", "name", "status", "metadata"], item.Select(p => p.Key));
        Assert.Equal(["version"], item["metadata"]!.AsObject().Select(p => p.Key));

        item = Assert.Single(List("count=1&fields=metadata,metadata.version").Items);
        Assert.Equal(["creationTime", "version"], item["metadata"]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));

        item = Assert.Single(List("count=1&fields=").Items);
        Assert.Equal(["id"], item.Select(p => p.Key));

        item = Assert.Single(List("count=1&fields=" + Uri.EscapeDataString("name,*")).Items);
        Assert.Equal(5, item.Count);

        item = Assert.Single(List("count=1").Items);
        Assert.Equal(5, item.Count);
    }

    [Fact]
    public void Fields_reach_into_arrays_of_objects()
    {
        var projection = FieldProjection.Parse("tags.name").Value!;
        var item = JsonNode.Parse("""{"id":"1","tags":[{"name":"a","x":1},{"name":"b","y":2}],"other":true}""")!.AsObject();
        Assert.Equal("""{"id":"1","tags":[{"name":"a"},{"name":"b"}]}""", projection.Apply(item).ToJsonString());
    }

    private static PageEnvelope<JsonObject> List(string query)
    {
        var (request, error) = ApiList.Read(Query(query), Attributes);
        Assert.Null(error);
        return ApiList.Page(Tenants(), request!, Attributes, Json);
    }

    private static ListError Refused(string query)
    {
        var (request, error) = ApiList.Read(Query(query), Attributes);
        Assert.Null(request);
        return error!;
    }

    private static QueryCollection Query(string query) => new(QueryHelpers.ParseQuery("?" + query));

    private static JsonObject Json(Tenant tenant) => new()
    {
        ["id"] = tenant.Id,
        ["name"] = tenant.Name,
        ["status"] = tenant.Status.ToString(),
        ["signupEnabled"] = tenant.SignupEnabled,
        ["metadata"] = new JsonObject { ["version"] = tenant.Version, ["creationTime"] = tenant.CreatedAt },
    };

    private static string[] Ids(PageEnvelope<JsonObject> page) => [.. page.Items.Select(i => i["id"]!.GetValue<string>())];
}
