using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Lanyard.Server.Features.Roles;

internal sealed class PermissionBoundaryConfiguration :
    IEntityTypeConfiguration<PermissionBoundary>,
    IEntityTypeConfiguration<PermissionGroup>,
    IEntityTypeConfiguration<PermissionGroupPermission>,
    IEntityTypeConfiguration<RolePermissionGroup>
{
    public void Configure(EntityTypeBuilder<PermissionBoundary> builder)
    {
        builder.ToTable("permission_boundaries");
        builder.HasKey(b => b.Id);
        builder.Property(b => b.Id).HasMaxLength(26);
        builder.Property(b => b.ApplicationId).HasMaxLength(26);
        builder.Property(b => b.Name).HasMaxLength(100);
        builder.HasIndex(b => new { b.ApplicationId, b.Name }).IsUnique();
        builder.Property(b => b.DisplayName).HasMaxLength(60);
        builder.Property(b => b.Description).HasMaxLength(500);
        builder.Property(b => b.Type).HasWireNames();
        builder.Property(b => b.Value).HasWireNames();
        builder.Property(b => b.Version).IsConcurrencyToken();
    }

    public void Configure(EntityTypeBuilder<PermissionGroup> builder)
    {
        builder.ToTable("permission_groups");
        builder.HasKey(g => g.Id);
        builder.Property(g => g.Id).HasMaxLength(26);
        builder.Property(g => g.ApplicationId).HasMaxLength(26);
        builder.Property(g => g.Name).HasMaxLength(100);
        builder.HasIndex(g => new { g.ApplicationId, g.Name }).IsUnique();
        builder.Property(g => g.DisplayName).HasMaxLength(60);
        builder.Property(g => g.Description).HasMaxLength(500);
        builder.Property(g => g.PermissionBoundaryId).HasMaxLength(26);
        builder.HasOne<PermissionBoundary>().WithMany().HasForeignKey(g => g.PermissionBoundaryId).OnDelete(DeleteBehavior.Restrict);
        builder.Property(g => g.Version).IsConcurrencyToken();
    }

    public void Configure(EntityTypeBuilder<PermissionGroupPermission> builder)
    {
        builder.ToTable("permission_group_permissions");
        builder.HasKey(gp => new { gp.PermissionGroupId, gp.PermissionId });
        builder.Property(gp => gp.ApplicationId).HasMaxLength(26);
        builder.Property(gp => gp.PermissionGroupId).HasMaxLength(26);
        builder.Property(gp => gp.PermissionId).HasMaxLength(26);
        builder.HasOne<PermissionGroup>().WithMany().HasForeignKey(gp => gp.PermissionGroupId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Permission>().WithMany().HasForeignKey(gp => gp.PermissionId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<RolePermissionGroup> builder)
    {
        builder.ToTable("role_permission_groups");
        builder.HasKey(rg => new { rg.RoleId, rg.PermissionGroupId });
        builder.Property(rg => rg.ApplicationId).HasMaxLength(26);
        builder.Property(rg => rg.RoleId).HasMaxLength(26);
        builder.Property(rg => rg.PermissionGroupId).HasMaxLength(26);
        builder.HasOne<Role>().WithMany().HasForeignKey(rg => rg.RoleId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<PermissionGroup>().WithMany().HasForeignKey(rg => rg.PermissionGroupId).OnDelete(DeleteBehavior.Cascade);
    }
}
