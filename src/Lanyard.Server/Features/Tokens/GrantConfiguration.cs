using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Lanyard.Server.Features.Tokens;

internal sealed class GrantConfiguration :
    IEntityTypeConfiguration<Grant>, IEntityTypeConfiguration<AuthorizationCode>, IEntityTypeConfiguration<RefreshToken>
{
    public void Configure(EntityTypeBuilder<Grant> builder)
    {
        builder.ToTable("grants");
        builder.HasKey(g => g.Id);
        builder.Property(g => g.Id).HasMaxLength(26);
        builder.Property(g => g.ApplicationId).HasMaxLength(26);
        builder.Property(g => g.TenantId).HasMaxLength(26);
        builder.Property(g => g.ClientId).HasMaxLength(26);
        builder.Property(g => g.UserId).HasMaxLength(26);
        builder.Property(g => g.Scope).HasMaxLength(1000);
        builder.Property(g => g.SessionId).HasMaxLength(26);
        builder.Property(g => g.RevokedReason).HasMaxLength(40);
        builder.HasIndex(g => new { g.TenantId, g.UserId });
    }

    public void Configure(EntityTypeBuilder<AuthorizationCode> builder)
    {
        builder.ToTable("authorization_codes");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.Id).HasMaxLength(26);
        builder.Property(c => c.ApplicationId).HasMaxLength(26);
        builder.Property(c => c.CodeHash).HasMaxLength(64);
        builder.HasIndex(c => c.CodeHash).IsUnique();
        builder.Property(c => c.GrantId).HasMaxLength(26);
        builder.Property(c => c.ClientId).HasMaxLength(26);
        builder.Property(c => c.RedirectUri).HasMaxLength(2000);
        builder.Property(c => c.CodeChallenge).HasMaxLength(128);
        builder.Property(c => c.Nonce).HasMaxLength(512);
        builder.HasOne<Grant>().WithMany().HasForeignKey(c => c.GrantId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<RefreshToken> builder)
    {
        builder.ToTable("refresh_tokens");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Id).HasMaxLength(26);
        builder.Property(t => t.ApplicationId).HasMaxLength(26);
        builder.Property(t => t.TokenHash).HasMaxLength(64);
        builder.HasIndex(t => t.TokenHash).IsUnique();
        builder.Property(t => t.GrantId).HasMaxLength(26);
        builder.Property(t => t.ClientId).HasMaxLength(26);
        builder.Property(t => t.Scope).HasMaxLength(1000);
        builder.Property(t => t.ReplacedById).HasMaxLength(26);
        // A rotation claims the token only while it is unrotated: the UPDATE carries "rotated_at IS NULL", and
        // of parallel refreshes of one token exactly one succeeds (RefreshExchange).
        builder.Property(t => t.RotatedAt).IsConcurrencyToken();
        builder.HasOne<Grant>().WithMany().HasForeignKey(t => t.GrantId).OnDelete(DeleteBehavior.Cascade);
    }
}
