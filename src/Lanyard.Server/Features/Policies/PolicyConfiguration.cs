using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Lanyard.Server.Features.Policies;

internal sealed class PolicyConfiguration : IEntityTypeConfiguration<Policy>, IEntityTypeConfiguration<PolicyOverrideToggle>
{
    public void Configure(EntityTypeBuilder<Policy> builder)
    {
        builder.ToTable("policies");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Id).HasMaxLength(26);
        builder.Property(p => p.ApplicationId).HasMaxLength(26);
        builder.Property(p => p.TenantId).HasMaxLength(26);
        builder.Property(p => p.Kind).HasWireNames();
        builder.Property(p => p.SubKey).HasMaxLength(64);
        builder.Ignore(p => p.OwnerType);

        // Two indexes because a NULL tenant never collides in a unique index: one application row per
        // (kind, sub-key), and one override row per (tenant, kind, sub-key).
        builder.HasIndex(p => new { p.ApplicationId, p.Kind, p.SubKey }).IsUnique().HasFilter("\"tenant_id\" IS NULL");
        builder.HasIndex(p => new { p.TenantId, p.Kind, p.SubKey }).IsUnique().HasFilter("\"tenant_id\" IS NOT NULL");
        builder.Property(p => p.Version).IsConcurrencyToken();
        builder.HasOne<Tenant>().WithMany().HasForeignKey(p => p.TenantId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<PolicyOverrideToggle> builder)
    {
        builder.ToTable("policy_override_toggles");
        builder.HasKey(t => t.Id);
        builder.Property(t => t.Id).HasMaxLength(26);
        builder.Property(t => t.ApplicationId).HasMaxLength(26);
        builder.Property(t => t.TenantId).HasMaxLength(26);
        builder.Property(t => t.Kind).HasWireNames();
        builder.HasIndex(t => new { t.TenantId, t.Kind }).IsUnique();
        builder.Property(t => t.Version).IsConcurrencyToken();
        builder.HasOne<Tenant>().WithMany().HasForeignKey(t => t.TenantId).OnDelete(DeleteBehavior.Cascade);
    }
}
