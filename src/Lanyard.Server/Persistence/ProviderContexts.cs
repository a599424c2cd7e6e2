using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Lanyard.Server.Persistence;

/// <summary>The SQLite flavour of <see cref="LanyardDbContext"/>: same model, its own migrations.</summary>
internal sealed class SqliteLanyardDbContext(DbContextOptions<SqliteLanyardDbContext> options, ITenantContext tenant)
    : LanyardDbContext(options, tenant)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite has no timestamp type and cannot order DateTimeOffset text; all our times are UTC,
        // so store them as a sortable 64-bit integer.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
        configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<DateTimeOffsetToBinaryConverter>();
    }
}

/// <summary>The PostgreSQL flavour of <see cref="LanyardDbContext"/>: same model, its own migrations.</summary>
internal sealed class PostgresLanyardDbContext(DbContextOptions<PostgresLanyardDbContext> options, ITenantContext tenant)
    : LanyardDbContext(options, tenant);
