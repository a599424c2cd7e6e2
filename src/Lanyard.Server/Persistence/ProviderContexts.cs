using Lanyard.Server.Features.Tenants;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Lanyard.Server.Persistence;

/// <summary>The SQLite flavour of <see cref="LanyardDbContext"/>: same model, its own migrations.</summary>
internal sealed class SqliteLanyardDbContext(DbContextOptions<SqliteLanyardDbContext> options) : LanyardDbContext(options)
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
internal sealed class PostgresLanyardDbContext(DbContextOptions<PostgresLanyardDbContext> options) : LanyardDbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);

        // The list API reads a tenant name prefix as a range of the (application_id, normalized_name) index
        // (TenantJson): that needs the column to order by code point, as SQLite's default BINARY collation
        // does. A cluster's default collation is usually linguistic; the names are lowercase ASCII, so "C"
        // changes no match, and sorting by name now agrees with SQLite (a linguistic order skips the '-').
        modelBuilder.Entity<Tenant>().Property(t => t.NormalizedName).UseCollation("C");
    }
}
