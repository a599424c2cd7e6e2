using System.Reflection;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Persistence;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Lanyard.Server.Tests.Persistence;

/// <summary>
/// Rules of the model that no reviewer should have to remember: every entity is owned by an application
/// or a tenant (or is on a short, reviewed list), carries the owner column, and has the named filter.
/// </summary>
public sealed class ModelArchitectureTests
{
    /// <summary>
    /// Entities that are deliberately global. Adding one here needs a reason in review. The data-protection key
    /// ring belongs to the deployment: every node and every host reads it (ADR 0012).
    /// </summary>
    private static readonly HashSet<Type> Global = [typeof(Application), typeof(DataProtectionKey)];

    public static TheoryData<string> Providers => ["sqlite", "postgres"];

    private static DbContext Context(string provider) => provider == "sqlite"
        ? new SqliteDesignTimeFactory().CreateDbContext([])
        : new PostgresDesignTimeFactory().CreateDbContext([]);

    private static IModel Model(string provider)
    {
        using var db = Context(provider);
        return db.Model;
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void Every_entity_is_owned_or_declared_global(string provider)
    {
        var unowned = Model(provider).GetEntityTypes()
            .Where(e => !typeof(IApplicationOwned).IsAssignableFrom(e.ClrType) && !typeof(ITenantOwned).IsAssignableFrom(e.ClrType))
            .Where(e => !Global.Contains(e.ClrType))
            .Select(e => e.ClrType.Name)
            .ToList();

        Assert.True(unowned.Count == 0, $"Entities without an owner: {string.Join(", ", unowned)}. Implement ITenantOwned or IApplicationOwned.");
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void Every_tenant_owned_entity_has_a_tenant_column_and_the_tenant_filter(string provider)
    {
        foreach (var entity in Model(provider).GetEntityTypes().Where(e => IsTenantScoped(e.ClrType)))
        {
            Assert.True(entity.FindProperty(nameof(ITenantOwned.TenantId)) is not null, $"{entity.ClrType.Name} has no TenantId column");
            Assert.True(entity.FindDeclaredQueryFilter(QueryFilters.Tenant) is not null, $"{entity.ClrType.Name} lacks the '{QueryFilters.Tenant}' query filter");
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void Every_application_owned_entity_has_the_application_filter(string provider)
    {
        foreach (var entity in Model(provider).GetEntityTypes().Where(e => typeof(IApplicationOwned).IsAssignableFrom(e.ClrType)))
        {
            Assert.True(entity.FindDeclaredQueryFilter(QueryFilters.Application) is not null, $"{entity.ClrType.Name} lacks the '{QueryFilters.Application}' query filter");
        }
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void Tenant_id_leads_every_index_of_a_tenant_owned_entity(string provider)
    {
        // The rule that lets the schema be sharded by tenant later without a rewrite.
        foreach (var entity in Model(provider).GetEntityTypes().Where(e => typeof(ITenantOwned).IsAssignableFrom(e.ClrType)))
        {
            foreach (var index in entity.GetIndexes().Where(i => !i.Properties.Any(p => p.IsForeignKey() && i.Properties.Count == 1)))
            {
                Assert.True(index.Properties[0].Name == nameof(ITenantOwned.TenantId),
                    $"{entity.ClrType.Name} index ({string.Join(", ", index.Properties.Select(p => p.Name))}) does not start with TenantId");
            }

            var key = entity.FindPrimaryKey()!.Properties;
            Assert.True(key is [{ Name: "Id" }] || key[0].Name == nameof(ITenantOwned.TenantId),
                $"{entity.ClrType.Name}: a composite primary key must start with TenantId");
        }
    }

    [Fact]
    public void Both_providers_have_the_same_tables_and_columns()
    {
        static IEnumerable<string> Shape(IModel model) => model.GetEntityTypes()
            .SelectMany(e => e.GetProperties().Select(p => $"{e.GetTableName()}.{p.GetColumnName()}"))
            .Order(StringComparer.Ordinal);

        Assert.Equal(Shape(Model("sqlite")), Shape(Model("postgres")));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void Migrations_match_the_model(string provider)
    {
        using var db = Context(provider);

        Assert.False(db.Database.HasPendingModelChanges(), $"The {provider} model has changes without a migration: run dotnet ef migrations add.");
    }

    /// <summary>
    /// The server finds its migrations from the assembly's metadata (<see cref="MigrationTypes"/>), not by loading every
    /// type as EF Core does; it must find exactly what EF Core's rule finds over all types, and the model snapshot.
    /// </summary>
    [Theory]
    [MemberData(nameof(Providers))]
    public void Migrations_are_found_as_ef_core_would_find_them(string provider)
    {
        using var db = Context(provider);
        var found = db.GetService<IMigrationsAssembly>();
        var everyType = typeof(LanyardDbContext).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && t.GetCustomAttribute<DbContextAttribute>()?.ContextType == db.GetType())
            .ToList();
        var expected = everyType
            .Where(t => t.IsSubclassOf(typeof(Migration)))
            .Select(t => t.GetCustomAttribute<MigrationAttribute>()!.Id)
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.IsType<MigrationTypes>(found);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, found.Migrations.Keys);
        Assert.Equal(everyType.Single(t => t.IsSubclassOf(typeof(ModelSnapshot))), found.ModelSnapshot?.GetType());
        Assert.Equal(expected[^1], found.FindMigrationId(expected[^1].Split('_', 2)[1]));
        Assert.Equal(expected[0], found.FindMigrationId(expected[0]));
        Assert.Null(found.FindMigrationId("NoSuchMigration"));
    }

    private static bool IsTenantScoped(Type type) =>
        typeof(ITenantOwned).IsAssignableFrom(type) || typeof(IApplicationOrTenantOwned).IsAssignableFrom(type);
}
