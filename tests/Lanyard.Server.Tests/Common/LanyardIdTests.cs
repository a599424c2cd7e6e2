using Lanyard.Server.Common;
using Microsoft.Extensions.Time.Testing;

namespace Lanyard.Server.Tests.Common;

public sealed class LanyardIdTests
{
    [Fact]
    public void Ids_are_26_lowercase_base32_characters_and_unique()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);

        var ids = Enumerable.Range(0, 10_000).Select(_ => LanyardId.New(time)).ToList();

        Assert.All(ids, id => Assert.Matches("^[a-z2-7]{26}$", id));
        Assert.All(ids, id => Assert.True(LanyardId.IsValid(id)));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Later_ids_sort_after_earlier_ones_as_plain_strings()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var ids = new List<string>();
        for (var i = 0; i < 2_000; i++)
        {
            ids.Add(LanyardId.New(time));
            time.Advance(TimeSpan.FromMilliseconds(1 + (i % 7)));
        }

        Assert.Equal(ids, ids.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("ABCDEFGHIJKLMNOPQRSTUVWXYZ")]
    [InlineData("abcdefghijklmnopqrstuvwxy1")]
    [InlineData("abcdefghijklmnopqrstuvwxyz2")] // 27 characters
    public void Malformed_ids_are_invalid(string? id) => Assert.False(LanyardId.IsValid(id));
}
