using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Lanyard.Server.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class TenantNameOrdinal : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Code-point order for the name-prefix range (PostgresLanyardDbContext). The table is not rewritten, but
            // ix_tenants_application_id_normalized_name is rebuilt under an exclusive lock: seconds per million tenants.
            migrationBuilder.AlterColumn<string>(
                name: "normalized_name",
                table: "tenants",
                type: "character varying(20)",
                maxLength: 20,
                nullable: false,
                collation: "C",
                oldClrType: typeof(string),
                oldType: "character varying(20)",
                oldMaxLength: 20);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<string>(
                name: "normalized_name",
                table: "tenants",
                type: "character varying(20)",
                maxLength: 20,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(20)",
                oldMaxLength: 20,
                oldCollation: "C");
        }
    }
}
