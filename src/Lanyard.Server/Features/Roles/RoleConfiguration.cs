using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Lanyard.Server.Features.Roles;

internal sealed class RoleConfiguration :
    IEntityTypeConfiguration<Role>,
    IEntityTypeConfiguration<Permission>,
    IEntityTypeConfiguration<RolePermission>,
    IEntityTypeConfiguration<UserRole>,
    IEntityTypeConfiguration<ClientRole>
{
    public void Configure(EntityTypeBuilder<Role> builder)
    {
        builder.ToTable("roles");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Id).HasMaxLength(26);
        builder.Property(r => r.ApplicationId).HasMaxLength(26);
        builder.Property(r => r.TenantId).HasMaxLength(26);
        builder.Property(r => r.Name).HasMaxLength(100);
        builder.HasIndex(r => new { r.ApplicationId, r.Name }).IsUnique();
        builder.Property(r => r.DisplayName).HasMaxLength(60);
        builder.Property(r => r.Description).HasMaxLength(500);
        builder.Property(r => r.Type).HasWireNames();
        builder.Property(r => r.PermissionBoundaryId).HasMaxLength(26);
        // No foreign key: adding one to an existing SQLite table means rebuilding it outside a transaction.
        // The boundary API refuses to delete a boundary that a role still names.
        builder.HasIndex(r => r.PermissionBoundaryId);
        builder.Property(r => r.Version).IsConcurrencyToken();
    }

    public void Configure(EntityTypeBuilder<Permission> builder)
    {
        builder.ToTable("permissions");
        builder.HasKey(p => p.Id);
        builder.Property(p => p.Id).HasMaxLength(26);
        builder.Property(p => p.ApplicationId).HasMaxLength(26);
        builder.Property(p => p.Value).HasMaxLength(200);
        builder.HasIndex(p => new { p.ApplicationId, p.Value }).IsUnique();
        builder.Property(p => p.Description).HasMaxLength(500);
        builder.Property(p => p.Type).HasWireNames();
    }

    public void Configure(EntityTypeBuilder<RolePermission> builder)
    {
        builder.ToTable("role_permissions");
        builder.HasKey(rp => new { rp.RoleId, rp.PermissionId });
        builder.Property(rp => rp.ApplicationId).HasMaxLength(26);
        builder.Property(rp => rp.RoleId).HasMaxLength(26);
        builder.Property(rp => rp.PermissionId).HasMaxLength(26);
        builder.HasOne<Role>().WithMany().HasForeignKey(rp => rp.RoleId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Permission>().WithMany().HasForeignKey(rp => rp.PermissionId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<UserRole> builder)
    {
        builder.ToTable("user_roles");
        builder.HasKey(ur => new { ur.TenantId, ur.UserId, ur.RoleId });
        builder.Property(ur => ur.TenantId).HasMaxLength(26);
        builder.Property(ur => ur.UserId).HasMaxLength(26);
        builder.Property(ur => ur.RoleId).HasMaxLength(26);
        builder.HasOne<User>().WithMany().HasForeignKey(ur => ur.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Role>().WithMany().HasForeignKey(ur => ur.RoleId).OnDelete(DeleteBehavior.Cascade);
    }

    public void Configure(EntityTypeBuilder<ClientRole> builder)
    {
        builder.ToTable("client_roles");
        builder.HasKey(cr => new { cr.ClientId, cr.RoleId });
        builder.Property(cr => cr.ApplicationId).HasMaxLength(26);
        builder.Property(cr => cr.ClientId).HasMaxLength(26);
        builder.Property(cr => cr.RoleId).HasMaxLength(26);
        builder.HasOne<OAuthClient>().WithMany().HasForeignKey(cr => cr.ClientId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Role>().WithMany().HasForeignKey(cr => cr.RoleId).OnDelete(DeleteBehavior.Cascade);
    }
}
