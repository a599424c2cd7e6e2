using System.Text.Json.Nodes;
using Lanyard.Server.Common.Api;
using Lanyard.Server.Features.Tenants;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using static Lanyard.Server.Tests.Common.Api.ApiListFixtures;

namespace Lanyard.Server.Tests.Common.Api;

/// <summary>The range an ordinal attribute's <c>sw</c> adds: its bounds, and that it keeps every match in memory too.</summary>
public sealed class PrefixRangeTests
{
    [Theory]
    [InlineData("t4242", "t4243")]
    [InlineData("a9", "a:")]
    [InlineData("az", "a{")]
    [InlineData("a-", "a.")]
    [InlineData("a\uffff", "b")]
    [InlineData("ab\uffff\uffff", "ac")]
    [InlineData("a\ud7ff", "a\ue000")]
    public void The_upper_end_is_the_prefix_with_its_last_character_incremented(string prefix, string upper)
    {
        Assert.True(PrefixRange.TryGet(prefix, out var actual));
        Assert.Equal(upper, actual);
    }

    [Fact]
    public void A_prefix_of_only_the_last_character_has_no_upper_end()
    {
        Assert.True(PrefixRange.TryGet("\uffff\uffff", out var upper));
        Assert.Null(upper);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a\ud83d\ude00")]
    public void No_range_for_the_empty_prefix_or_one_with_a_surrogate(string prefix) =>
        Assert.False(PrefixRange.TryGet(prefix, out _));

    [Fact]
    public void In_memory_the_range_is_ordinal_like_the_column()
    {
        // A culture's order puts "a{" (the successor of "az") before "azz": compared that way, matches would be lost.
        var attributes = new ApiAttributes<Tenant>(t => t.Id).String("name", t => t.NormalizedName, sort: true, normalize: v => v.ToLowerInvariant(), ordinal: true);
        List<Tenant> tenants =
        [
            Make("t1", "az", "A", TenantStatus.Active, true, 0, 1),
            Make("t2", "az-x", "A", TenantStatus.Active, true, 0, 1),
            Make("t3", "azz", "A", TenantStatus.Active, true, 0, 1),
            Make("t4", "a0", "A", TenantStatus.Active, true, 0, 1),
            Make("t5", "b", "A", TenantStatus.Active, true, 0, 1),
            Make("t6", "a{", "A", TenantStatus.Active, true, 0, 1),
        ];
        var (request, error) = ApiList.Read(new QueryCollection(QueryHelpers.ParseQuery("?query=" + Uri.EscapeDataString("name sw \"AZ\""))), attributes);
        Assert.Null(error);
        var page = ApiList.Page(tenants, request!, attributes, t => new JsonObject { ["id"] = t.Id });
        Assert.Equal(["t1", "t2", "t3"], page.Items.Select(i => i["id"]!.GetValue<string>()));
    }
}
