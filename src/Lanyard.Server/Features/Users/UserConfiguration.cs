using Lanyard.Server.Features.IdentityProviders;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Lanyard.Server.Features.Users;

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> builder)
    {
        builder.ToTable("users");
        builder.HasKey(u => u.Id);
        builder.Property(u => u.Id).HasMaxLength(26);
        builder.Property(u => u.ApplicationId).HasMaxLength(26);
        builder.Property(u => u.TenantId).HasMaxLength(26);
        builder.Property(u => u.IdentityProviderId).HasMaxLength(26);
        builder.Property(u => u.IdentityProviderName).HasMaxLength(70);

        // tenant_id leads every tenant-owned index so the schema can later be sharded by tenant.
        builder.Property(u => u.Email).HasMaxLength(200);
        builder.Property(u => u.NormalizedEmail).HasMaxLength(200);
        builder.HasIndex(u => new { u.TenantId, u.IdentityProviderId, u.NormalizedEmail }).IsUnique();
        builder.Property(u => u.Username).HasMaxLength(200);
        builder.Property(u => u.NormalizedUsername).HasMaxLength(200);
        builder.HasIndex(u => new { u.TenantId, u.IdentityProviderId, u.NormalizedUsername }).IsUnique();
        builder.Property(u => u.ExternalId).HasMaxLength(200);
        builder.HasIndex(u => new { u.TenantId, u.IdentityProviderId, u.ExternalId }).IsUnique();
        builder.HasIndex(u => new { u.TenantId, u.Status });

        // Lookups by email within a tenant that do not name the identity provider (the users API's email filter):
        // without it they read every user of the tenant. Tenant id leads, as in every index of a tenant-owned table
        // (sharding by tenant); an application-wide email search therefore still reads every user (docs/performance.md).
        builder.HasIndex(u => new { u.TenantId, u.NormalizedEmail });

        foreach (var name in new[]
                 {
                     nameof(User.FullName), nameof(User.GivenName), nameof(User.FamilyName), nameof(User.MiddleName),
                     nameof(User.HonorificPrefix), nameof(User.HonorificSuffix), nameof(User.Nickname),
                     nameof(User.DisplayName), nameof(User.Gender),
                 })
        {
            builder.Property(name).HasMaxLength(200);
        }

        builder.Property(u => u.PictureUrl).HasMaxLength(2000);
        builder.Property(u => u.PhoneNumber).HasMaxLength(16);
        builder.Property(u => u.PreferredLanguage).HasMaxLength(35);
        builder.Property(u => u.Locale).HasMaxLength(35);
        builder.Property(u => u.TimeZone).HasMaxLength(64);
        builder.Property(u => u.PasswordHash).HasMaxLength(512);
        builder.Ignore(u => u.HasPassword);
        builder.Property(u => u.Status).HasWireNames();
        builder.Property(u => u.Version).IsConcurrencyToken();

        builder.HasOne<Tenant>().WithMany().HasForeignKey(u => u.TenantId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<IdentityProvider>().WithMany().HasForeignKey(u => u.IdentityProviderId).OnDelete(DeleteBehavior.Restrict);
    }
}
