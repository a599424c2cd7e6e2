using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Lanyard.Server.Features.Workflows;

/// <summary>
/// A single-use secret that moves a workflow on: the code in an email's action link, or the code that
/// hands a browser from a workflow to a new auth session. Only its SHA-256 is stored. It is bound to one
/// user of one tenant and to one purpose, so an activation code cannot reset a password, and it expires.
/// Workflow APIs are called on the application host with nothing but the code, so the row is
/// application-owned; its tenant is recorded and entered as the scope once the code has been consumed.
/// </summary>
internal sealed class WorkflowCode : IApplicationOwned
{
    public required string Id { get; set; }
    public string ApplicationId { get; set; } = "";
    public required string TenantId { get; set; }
    public required string UserId { get; set; }
    public WorkflowPurpose Purpose { get; set; }

    /// <summary>SHA-256 of the code, hex.</summary>
    public required string CodeHash { get; set; }

    /// <summary>What the flow must remember across the email (client id, state, invitation): see <see cref="WorkflowContext"/>.</summary>
    public string? Context { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>Set when the code is used or superseded by a newer one; a code is good only while this is null.</summary>
    public DateTimeOffset? ConsumedAt { get; set; }
}

internal enum WorkflowPurpose
{
    UserActivation,
    EmailVerification,
    PasswordReset,
    NewUserInvitation,
    ExistingUserInvitation,

    /// <summary>Hands a browser that just finished a workflow to the tenant host, where it becomes an auth session.</summary>
    AuthSession,

    /// <summary>Names a signed-in session that still owes its second factor, for a self-hosted MFA page (see docs/mfa.md).</summary>
    MfaToken,
}

internal sealed class WorkflowCodeConfiguration : IEntityTypeConfiguration<WorkflowCode>
{
    public void Configure(EntityTypeBuilder<WorkflowCode> builder)
    {
        builder.ToTable("workflow_codes");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).HasMaxLength(26);
        builder.Property(c => c.ApplicationId).HasMaxLength(26);
        builder.Property(c => c.TenantId).HasMaxLength(26);
        builder.Property(c => c.UserId).HasMaxLength(26);
        builder.Property(c => c.Purpose).HasWireNames();
        builder.Property(c => c.CodeHash).HasMaxLength(64);
        builder.Property(c => c.Context).HasMaxLength(4000);
        builder.HasIndex(c => c.CodeHash).IsUnique();
        builder.HasIndex(c => new { c.TenantId, c.UserId, c.Purpose });
    }
}
