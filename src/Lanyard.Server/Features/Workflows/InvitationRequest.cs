using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Lanyard.Server.Features.Workflows;

/// <summary>
/// An invitation of a new user (who gets a PENDING_INVITE_ACTIVATION user row) or of an existing
/// PROVISIONED or INACTIVE user. At most one pending invitation per email per tenant: a new one cancels
/// the old.
/// </summary>
internal sealed class InvitationRequest : IApplicationOwned, ITenantOwned, IVersioned
{
    public required string Id { get; set; }
    public string ApplicationId { get; set; } = "";
    public string TenantId { get; set; } = "";
    public InvitationKind Kind { get; set; }
    public required string UserId { get; set; }
    public required string Email { get; set; }
    public required string NormalizedEmail { get; set; }
    public string? InviteeName { get; set; }

    /// <summary>Role ids assigned when the invitation is accepted.</summary>
    public List<string> RolesToAssign { get; set; } = [];

    public string? Language { get; set; }
    public InvitationStatus Status { get; set; } = InvitationStatus.PendingInviteAcceptance;
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public long Version { get; set; }
}

internal enum InvitationKind
{
    NewUser,
    ExistingUser,
}

internal enum InvitationStatus
{
    PendingInviteAcceptance,
    Completed,
    Canceled,
}

internal sealed class InvitationRequestConfiguration : IEntityTypeConfiguration<InvitationRequest>
{
    public void Configure(EntityTypeBuilder<InvitationRequest> builder)
    {
        builder.ToTable("invitation_requests");
        builder.HasKey(i => i.Id);
        builder.Property(i => i.Id).HasMaxLength(26);
        builder.Property(i => i.ApplicationId).HasMaxLength(26);
        builder.Property(i => i.TenantId).HasMaxLength(26);
        builder.Property(i => i.Kind).HasWireNames();
        builder.Property(i => i.UserId).HasMaxLength(26);
        builder.Property(i => i.Email).HasMaxLength(200);
        builder.Property(i => i.NormalizedEmail).HasMaxLength(200);
        builder.Property(i => i.InviteeName).HasMaxLength(200);
        builder.Property(i => i.Language).HasMaxLength(35);
        builder.Property(i => i.Status).HasWireNames();
        builder.Property(i => i.Version).IsConcurrencyToken();
        builder.HasIndex(i => new { i.TenantId, i.NormalizedEmail, i.Status });
        builder.HasIndex(i => new { i.TenantId, i.UserId });
        builder.HasOne<Features.Tenants.Tenant>().WithMany().HasForeignKey(i => i.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}
