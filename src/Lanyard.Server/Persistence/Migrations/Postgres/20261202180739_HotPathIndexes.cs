using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Lanyard.Server.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class HotPathIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_users_tenant_id_normalized_email",
                table: "users",
                columns: new[] { "tenant_id", "normalized_email" });

            migrationBuilder.CreateIndex(
                name: "ix_tenants_application_id_display_name",
                table: "tenants",
                columns: new[] { "application_id", "display_name" });

            migrationBuilder.CreateIndex(
                name: "ix_tenants_application_id_id",
                table: "tenants",
                columns: new[] { "application_id", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_users_tenant_id_normalized_email",
                table: "users");

            migrationBuilder.DropIndex(
                name: "ix_tenants_application_id_display_name",
                table: "tenants");

            migrationBuilder.DropIndex(
                name: "ix_tenants_application_id_id",
                table: "tenants");
        }
    }
}
