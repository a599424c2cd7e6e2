using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Lanyard.Server.Features.Applications;

internal sealed class ApplicationConfiguration : IEntityTypeConfiguration<Application>
{
    public void Configure(EntityTypeBuilder<Application> builder)
    {
        builder.ToTable("applications");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Id).HasMaxLength(26);
        builder.Property(a => a.Name).HasMaxLength(20);
        builder.HasIndex(a => a.Name).IsUnique();
        builder.Property(a => a.DisplayName).HasMaxLength(60);
        builder.Property(a => a.VanityDomain).HasMaxLength(253);
        builder.Property(a => a.VanityHost).HasMaxLength(253);
        builder.HasIndex(a => a.VanityHost).IsUnique();
        builder.Property(a => a.TenantHostStyle).HasConversion(
            s => s.Separator(),
            s => s == "." ? TenantHostStyle.Dot : TenantHostStyle.Dash).HasMaxLength(1);
        builder.Property(a => a.EnvironmentType).HasWireNames();
        builder.Property(a => a.LoginUrl).HasMaxLength(2000);
        builder.Property(a => a.Version).IsConcurrencyToken();
    }
}
