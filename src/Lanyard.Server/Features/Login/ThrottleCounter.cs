using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Login;

/// <summary>
/// A fixed-window attempt counter (per account or per client address). Incremented and read in one
/// statement, so parallel attempts cannot slip past the limit; kept in the database so every node sees
/// the same count.
/// </summary>
internal sealed class ThrottleCounter : IApplicationOwned
{
    /// <summary>e.g. <c>acct:{tenantId}:{identifier}</c> or <c>addr:{ip}</c>; hashed so identifiers are not stored in clear.</summary>
    public required string Key { get; set; }

    public string ApplicationId { get; set; } = "";
    /// <summary>Which fixed window the count belongs to: Unix seconds divided by the window length.</summary>
    public long WindowIndex { get; set; }
    public int Count { get; set; }
}

internal sealed class ThrottleCounterConfiguration : Microsoft.EntityFrameworkCore.IEntityTypeConfiguration<ThrottleCounter>
{
    public void Configure(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<ThrottleCounter> builder)
    {
        builder.ToTable("throttle_counters");
        builder.HasKey(c => c.Key);
        builder.Property(c => c.Key).HasMaxLength(64);
        builder.Property(c => c.ApplicationId).HasMaxLength(26);
    }
}
