using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Lanyard.Server.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class PermissionBoundaries : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "permission_boundary_id",
                table: "roles",
                type: "character varying(26)",
                maxLength: 26,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "permission_boundaries",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(26)", maxLength: 26, nullable: false),
                    application_id = table.Column<string>(type: "character varying(26)", maxLength: 26, nullable: false),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    display_name = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: false),
                    description = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    type = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: false),
                    value = table.Column<string>(type: "character varying(40)", maxLength: 40, nullable: true),
                    resource_list = table.Column<List<string>>(type: "text[]", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_permission_boundaries", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "permission_groups",
                columns: table => new
                {
                    id = table.Column<string>(type: "character varying(26)", maxLength: 26, nullable: false),
                    application_id = table.Column<string>(type: "character varying(26)", maxLength: 26, nullable: false),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    display_name = table.Column<string>(type: "character varying(60)", maxLength: 60, nullable: false),
                    description = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    permission_boundary_id = table.Column<string>(type: "character varying(26)", maxLength: 26, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_permission_groups", x => x.id);
                    table.ForeignKey(
                        name: "fk_permission_groups_permission_boundaries_permission_boundary",
                        column: x => x.permission_boundary_id,
                        principalTable: "permission_boundaries",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "permission_group_permissions",
                columns: table => new
                {
                    permission_group_id = table.Column<string>(type: "character varying(26)", maxLength: 26, nullable: false),
                    permission_id = table.Column<string>(type: "character varying(26)", maxLength: 26, nullable: false),
                    application_id = table.Column<string>(type: "character varying(26)", maxLength: 26, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_permission_group_permissions", x => new { x.permission_group_id, x.permission_id });
                    table.ForeignKey(
                        name: "fk_permission_group_permissions_permission_groups_permission_g",
                        column: x => x.permission_group_id,
                        principalTable: "permission_groups",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_permission_group_permissions_permissions_permission_id",
                        column: x => x.permission_id,
                        principalTable: "permissions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "role_permission_groups",
                columns: table => new
                {
                    role_id = table.Column<string>(type: "character varying(26)", maxLength: 26, nullable: false),
                    permission_group_id = table.Column<string>(type: "character varying(26)", maxLength: 26, nullable: false),
                    application_id = table.Column<string>(type: "character varying(26)", maxLength: 26, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_role_permission_groups", x => new { x.role_id, x.permission_group_id });
                    table.ForeignKey(
                        name: "fk_role_permission_groups_permission_groups_permission_group_id",
                        column: x => x.permission_group_id,
                        principalTable: "permission_groups",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_role_permission_groups_roles_role_id",
                        column: x => x.role_id,
                        principalTable: "roles",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_roles_permission_boundary_id",
                table: "roles",
                column: "permission_boundary_id");

            migrationBuilder.CreateIndex(
                name: "ix_permission_boundaries_application_id_name",
                table: "permission_boundaries",
                columns: new[] { "application_id", "name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_permission_group_permissions_permission_id",
                table: "permission_group_permissions",
                column: "permission_id");

            migrationBuilder.CreateIndex(
                name: "ix_permission_groups_application_id_name",
                table: "permission_groups",
                columns: new[] { "application_id", "name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_permission_groups_permission_boundary_id",
                table: "permission_groups",
                column: "permission_boundary_id");

            migrationBuilder.CreateIndex(
                name: "ix_role_permission_groups_permission_group_id",
                table: "role_permission_groups",
                column: "permission_group_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "permission_group_permissions");

            migrationBuilder.DropTable(
                name: "role_permission_groups");

            migrationBuilder.DropTable(
                name: "permission_groups");

            migrationBuilder.DropTable(
                name: "permission_boundaries");

            migrationBuilder.DropIndex(
                name: "ix_roles_permission_boundary_id",
                table: "roles");

            migrationBuilder.DropColumn(
                name: "permission_boundary_id",
                table: "roles");
        }
    }
}
