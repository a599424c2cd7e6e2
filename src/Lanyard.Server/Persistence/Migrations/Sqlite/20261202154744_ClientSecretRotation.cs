using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Lanyard.Server.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ClientSecretRotation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "previous_secret_expires_at",
                table: "oauth_clients",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "previous_secret_hash",
                table: "oauth_clients",
                type: "TEXT",
                maxLength: 128,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "previous_secret_expires_at",
                table: "oauth_clients");

            migrationBuilder.DropColumn(
                name: "previous_secret_hash",
                table: "oauth_clients");
        }
    }
}
