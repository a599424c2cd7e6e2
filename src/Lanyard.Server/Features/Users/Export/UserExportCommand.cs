using System.Globalization;
using System.Text;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users.Import;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Users.Export;

/// <summary>
/// <code>lanyard export users --tenant NAME | --all [--out FILE.csv]</code>
/// Writes a tenant's users (or every tenant's, with a leading <c>tenantName</c> column) as CSV through
/// <see cref="UserExporter"/>, to FILE or standard output. Progress and the summary go to standard error,
/// so standard output can be the CSV itself. No secret leaves: there is no password hash column.
/// </summary>
internal sealed class UserExportCommand(IServiceScopeFactory scopes, UserExporter exporter, TimeProvider time, ILogger<UserExportCommand> logger)
{
    private static readonly HashSet<string> Known = ["tenant", "out"];
    private static readonly HashSet<string> Flags = ["all"];

    public static bool Handles(IReadOnlyList<string> verbArgs) => verbArgs is ["export", ..];

    public async Task<int> RunAsync(IReadOnlyList<string> verbArgs, CliConsole console, CancellationToken cancellationToken)
    {
        var args = CliArguments.Parse(verbArgs, Known, Flags);
        var all = args["all"] is not null;
        if (args.Problem is not null || args.Words is not ["export", "users"] || all == (args["tenant"] is not null))
        {
            await console.Error.WriteLineAsync(args.Problem ?? "Usage: lanyard export users --tenant NAME | --all [--out FILE.csv]");
            return UserImportCommand.UsageError;
        }

        string applicationId;
        List<Tenant> tenants;
        await using (var scope = scopes.CreateAsyncScope())
        {
            if (all)
            {
                var (id, everyTenant) = await AllTenantsAsync(scope.ServiceProvider, cancellationToken);
                if (id is null)
                {
                    await console.Error.WriteLineAsync("No application exists yet: start the server once so that it creates one.");
                    return UserImportCommand.UsageError;
                }

                (applicationId, tenants) = (id, everyTenant);
            }
            else
            {
                var (tenant, problem) = await UserImportCommand.FindTenantAsync(scope.ServiceProvider, args["tenant"]!, cancellationToken);
                if (tenant is null)
                {
                    await console.Error.WriteLineAsync(problem);
                    return UserImportCommand.UsageError;
                }

                (applicationId, tenants) = (tenant.ApplicationId, [tenant]);
            }
        }

        var total = await exporter.CountAsync(applicationId, tenants, cancellationToken);
        var progress = new CliProgress(console.Error, console.ErrorIsTerminal, time, "export");
        string Detail(long done) => string.Create(CultureInfo.InvariantCulture, $"{done:N0} of {total:N0} users, {progress.Rate(done):N0} users/s");
        double Fraction(long done) => total == 0 ? 1 : (double)done / total;

        long written;
        var path = args["out"];
        await using (var output = path is null ? null : new StreamWriter(path, append: false, new UTF8Encoding(false)))
        {
            written = await exporter.WriteCsvAsync(applicationId, tenants, all, output ?? console.Out,
                done => progress.Update(Fraction(done), Detail(done)), cancellationToken);
        }

        progress.Finish(1, Detail(written));
        Import.Log.ExportFinished(logger, written, tenants.Count);
        var seconds = progress.Elapsed.TotalSeconds;
        await console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Exported {written} users of {tenants.Count} tenant(s) to {path ?? "standard output"} in {seconds:0.0} s."));
        return 0;
    }

    private static async Task<(string? ApplicationId, List<Tenant> Tenants)> AllTenantsAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var db = services.GetRequiredService<LanyardDbContext>();
        var applicationId = await db.Applications.AsNoTracking().OrderBy(a => a.CreatedAt).Select(a => a.Id).FirstOrDefaultAsync(cancellationToken);
        if (applicationId is null)
        {
            return (null, []);
        }

        services.GetRequiredService<Tenancy.TenantContext>().Enter(applicationId);
        var tenants = await db.Tenants.AsNoTracking().Where(t => t.Status != TenantStatus.DeleteInProgress)
            .OrderBy(t => t.NormalizedName).ToListAsync(cancellationToken);
        return (applicationId, tenants);
    }
}
