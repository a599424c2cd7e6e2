using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Lanyard.Server.Features.Tenants;

internal sealed class TenantConfiguration : IEntityTypeConfiguration<Tenant>
{
    public void Configure(EntityTypeBuilder<Tenant> builder)
    {
        builder.ToTable("tenants");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Id).HasMaxLength(26);
        builder.Property(t => t.ApplicationId).HasMaxLength(26);
        builder.Property(t => t.Name).HasMaxLength(TenantName.MaxLength);
        builder.Property(t => t.NormalizedName).HasMaxLength(TenantName.MaxLength);
        builder.HasIndex(t => new { t.ApplicationId, t.NormalizedName }).IsUnique();

        // The list-tenants API pages an application's tenants by id (the default) or by display name: with these the
        // page is read in index order instead of sorting every tenant of the application.
        builder.HasIndex(t => new { t.ApplicationId, t.Id });
        builder.HasIndex(t => new { t.ApplicationId, t.DisplayName });
        builder.Property(t => t.DisplayName).HasMaxLength(200);
        builder.Property(t => t.Description).HasMaxLength(1000);
        builder.Property(t => t.LogoUrl).HasMaxLength(2000);
        builder.Property(t => t.Status).HasWireNames();
        builder.Property(t => t.Type).HasWireNames();
        builder.Property(t => t.CustomDomain).HasMaxLength(253);
        builder.HasIndex(t => t.CustomDomain).IsUnique();
        builder.Property(t => t.Version).IsConcurrencyToken();
        builder.HasOne<Applications.Application>().WithMany().HasForeignKey(t => t.ApplicationId).OnDelete(DeleteBehavior.Restrict);
    }
}
