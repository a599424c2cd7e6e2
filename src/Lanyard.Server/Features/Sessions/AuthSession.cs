using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Sessions;

/// <summary>
/// A user's login on one tenant host: the server-side half of the session cookie. The cookie holds a
/// random handle; the row holds its hash, so a stolen database does not yield live cookies, and
/// revoking the row ends the session wherever the cookie still exists.
/// </summary>
internal sealed class AuthSession : IApplicationOwned, ITenantOwned
{
    public required string Id { get; set; }
    public string ApplicationId { get; set; } = "";
    public string TenantId { get; set; } = "";
    public required string UserId { get; set; }
    public required string HandleHash { get; set; }
    public DateTimeOffset AuthTime { get; set; }
    public List<string> Amr { get; set; } = [];
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }
    public DateTimeOffset AbsoluteExpiresAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}

internal sealed class AuthSessionConfiguration : Microsoft.EntityFrameworkCore.IEntityTypeConfiguration<AuthSession>
{
    public void Configure(Microsoft.EntityFrameworkCore.Metadata.Builders.EntityTypeBuilder<AuthSession> builder)
    {
        builder.ToTable("auth_sessions");
        builder.HasKey(s => s.Id);
        builder.Property(s => s.Id).HasMaxLength(26);
        builder.Property(s => s.ApplicationId).HasMaxLength(26);
        builder.Property(s => s.TenantId).HasMaxLength(26);
        builder.Property(s => s.UserId).HasMaxLength(26);
        builder.Property(s => s.HandleHash).HasMaxLength(64);
        builder.HasIndex(s => new { s.TenantId, s.HandleHash }).IsUnique();
        builder.HasIndex(s => new { s.TenantId, s.UserId });
    }
}
