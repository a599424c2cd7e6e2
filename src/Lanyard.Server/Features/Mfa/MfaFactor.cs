using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Lanyard.Server.Features.Mfa;

/// <summary>
/// One second factor of one user of the built-in identity provider: a TOTP authenticator (its seed
/// encrypted at rest) or the single recovery code (only its SHA-256). A TOTP factor remembers the last
/// time step it accepted, and accepting a code is one conditional update of that column, so a code, or
/// any earlier one, is accepted once across every server instance sharing the database.
/// </summary>
internal sealed class MfaFactor : IApplicationOwned, ITenantOwned, IVersioned
{
    public required string Id { get; set; }
    public string ApplicationId { get; set; } = "";
    public string TenantId { get; set; } = "";
    public required string UserId { get; set; }
    public MfaFactorType Type { get; set; }
    public MfaFactorStatus Status { get; set; } = MfaFactorStatus.PendingVerification;

    /// <summary>TOTP only: the seed sealed with the master key (<c>SecretBox</c>, purpose <c>mfa-totp</c>).</summary>
    public byte[]? EncryptedSecret { get; set; }

    /// <summary>Recovery code only: SHA-256 of the code, hex (the code has 160 random bits, so no slow hash is needed).</summary>
    public string? CodeHash { get; set; }

    /// <summary>TOTP only: the highest time step accepted so far; codes of this step or earlier are refused.</summary>
    public long? LastUsedStep { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? VerifiedAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public long Version { get; set; }
}

internal enum MfaFactorType
{
    Totp,
    RecoveryCode,
}

internal enum MfaFactorStatus
{
    /// <summary>Enrollment started, the first code not yet verified: not a factor yet.</summary>
    PendingVerification,

    Active,

    /// <summary>A recovery code that has been used (kept for the audit trail; never accepted again).</summary>
    Used,
}

internal sealed class MfaFactorConfiguration : IEntityTypeConfiguration<MfaFactor>
{
    public void Configure(EntityTypeBuilder<MfaFactor> builder)
    {
        builder.ToTable("mfa_factors");
        builder.HasKey(f => f.Id);
        builder.Property(f => f.Id).HasMaxLength(26);
        builder.Property(f => f.ApplicationId).HasMaxLength(26);
        builder.Property(f => f.TenantId).HasMaxLength(26);
        builder.Property(f => f.UserId).HasMaxLength(26);
        builder.Property(f => f.Type).HasWireNames();
        builder.Property(f => f.Status).HasWireNames();
        builder.Property(f => f.EncryptedSecret).HasMaxLength(256);
        builder.Property(f => f.CodeHash).HasMaxLength(64);
        builder.Property(f => f.Version).IsConcurrencyToken();
        builder.HasIndex(f => new { f.TenantId, f.UserId, f.Type, f.Status });
        builder.HasOne<Users.User>().WithMany().HasForeignKey(f => f.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
