using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Lanyard.Server.Features.IdentityProviders;

internal sealed class IdentityProviderConfiguration : IEntityTypeConfiguration<IdentityProvider>
{
    public void Configure(EntityTypeBuilder<IdentityProvider> builder)
    {
        builder.ToTable("identity_providers");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Id).HasMaxLength(26);
        builder.Property(p => p.ApplicationId).HasMaxLength(26);
        builder.Property(p => p.TenantId).HasMaxLength(26);
        builder.Property(p => p.Name).HasMaxLength(70);
        builder.Property(p => p.DisplayName).HasMaxLength(60);
        builder.HasIndex(p => new { p.ApplicationId, p.TenantId, p.Name }).IsUnique();
        builder.Property(p => p.Type).HasWireNames();
        builder.Property(p => p.Status).HasWireNames();
        builder.Ignore(p => p.IsExternal);
        builder.Property(p => p.Version).IsConcurrencyToken();
    }
}
