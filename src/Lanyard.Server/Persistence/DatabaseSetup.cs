using Lanyard.Server.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Lanyard.Server.Persistence;

internal static class DatabaseSetup
{
    public const string HistoryTable = "__ef_migrations_history";

    public static IServiceCollection AddLanyardDatabase(this IServiceCollection services)
    {
        services.AddSingleton<TenantStampInterceptor>();
        services.AddSingleton<VersionStampInterceptor>();
        services.AddSingleton<Features.Email.OutboxSignal>();
        services.AddSingleton<Features.Email.OutboxCommitInterceptor>();
        services.AddSingleton<Tenancy.ApplicationDirectory>();
        services.AddSingleton<Features.Clients.ClientDirectory>();
        services.AddSingleton<Features.Tokens.CustomClaimsDirectory>();
        services.AddSingleton<Features.Policies.PolicyDirectory>();
        services.AddSingleton<HotRowInvalidation>();
        services.AddSingleton<SqliteWriteGate>();

        // Contexts are pooled (docs/adr/0014): building a new one (EF Core resolving its internal services for it) was a
        // sixth of a userinfo request's CPU. Options are built once per process; everything they read is a singleton.
        // Both provider contexts are registered; the one the settings name is handed out as LanyardDbContext, bound
        // to the scope's tenant context. Settings are read when the first context is built, after configuration is final.
        services.AddPooledDbContextFactory<SqliteLanyardDbContext>((sp, options) =>
        {
            var settings = sp.GetRequiredService<ServerSettings>();
            var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(settings.ConnectionString).DataSource;
            if (!string.IsNullOrEmpty(file) && file != ":memory:")
            {
                Common.DataDirectory.Ensure(Path.GetDirectoryName(Path.GetFullPath(file))!);
            }

            Configure(sp, options.UseSqlite(settings.ConnectionString, sqlite => sqlite.MigrationsHistoryTable(HistoryTable)))
                .AddInterceptors(sp.GetRequiredService<SqliteWriteGate>());
        });
        services.AddPooledDbContextFactory<PostgresLanyardDbContext>((sp, options) =>
            Configure(sp, options.UseNpgsql(sp.GetRequiredService<ServerSettings>().ConnectionString, npgsql =>
                npgsql.MigrationsHistoryTable(HistoryTable))));
        // The scope disposes the context once, which hands it back to its pool.
        services.AddScoped<LanyardDbContext>(sp => (sp.GetRequiredService<ServerSettings>().DatabaseProvider == DatabaseProvider.Sqlite
                ? (LanyardDbContext)sp.GetRequiredService<IDbContextFactory<SqliteLanyardDbContext>>().CreateDbContext()
                : sp.GetRequiredService<IDbContextFactory<PostgresLanyardDbContext>>().CreateDbContext())
            .LeasedTo(sp.GetRequiredService<Tenancy.ITenantContext>()));

        return services;
    }

    internal static DbContextOptionsBuilder Configure(IServiceProvider services, DbContextOptionsBuilder options) =>
        options
            .UseSnakeCaseNamingConvention()
            .ReplaceService<IMigrationsAssembly, MigrationTypes>()
            // EF Core logs a failed begin, commit or rollback at Error, and a commit cancelled because the client hung up
            // is one (it classes cancelled commands and connection opens as Debug, not transactions). Every real failure
            // also surfaces as an exception that the request's error handling or the worker logs with its context, so
            // EF Core's line adds nothing an operator can act on.
            .ConfigureWarnings(warnings => warnings.Log((RelationalEventId.TransactionError, LogLevel.Debug)))
            .AddInterceptors(
                services.GetRequiredService<TenantStampInterceptor>(),
                services.GetRequiredService<VersionStampInterceptor>(),
                services.GetRequiredService<Features.Email.OutboxCommitInterceptor>(),
                services.GetRequiredService<HotRowInvalidation>());
}
