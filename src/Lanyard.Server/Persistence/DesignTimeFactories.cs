using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Lanyard.Server.Persistence;

// Used only by `dotnet ef migrations add`; neither factory opens a connection. They find migrations as the server does
// (MigrationTypes), so the tools list what the server would apply.

internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteLanyardDbContext>
{
    public SqliteLanyardDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteLanyardDbContext>()
            .UseSqlite("Data Source=design-time.db", o => o.MigrationsHistoryTable(DatabaseSetup.HistoryTable))
            .UseSnakeCaseNamingConvention()
            .ReplaceService<IMigrationsAssembly, MigrationTypes>()
            .Options);
}

internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresLanyardDbContext>
{
    public PostgresLanyardDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresLanyardDbContext>()
            .UseNpgsql("Host=localhost;Database=lanyard_design_time", o => o.MigrationsHistoryTable(DatabaseSetup.HistoryTable))
            .UseSnakeCaseNamingConvention()
            .ReplaceService<IMigrationsAssembly, MigrationTypes>()
            .Options);
}
