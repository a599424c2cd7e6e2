using System.Text.Json.Nodes;
using Lanyard.Server.Common.Api;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users.Api;
using Lanyard.Server.Features.Users.Import;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using nietras.SeparatedValues;

namespace Lanyard.Server.Features.Users.Export;

/// <summary>
/// Writes users to CSV with the import's columns (<see cref="ImportColumns.Exported"/>: never the password
/// hash), so an export imports into another tenant unchanged. Each tenant is read in its own scope, page by
/// page through the user list API's query (<see cref="UserListEndpoint.Page"/>, sorted by email), so memory
/// stays flat however many users there are. Exporting several tenants adds a first column, <c>tenantName</c>.
/// </summary>
internal sealed class UserExporter(IServiceScopeFactory scopes)
{
    public const int PageSize = Paging.MaxCount;

    /// <summary>Columns whose values are checked formats (a date, E.164) and so cannot start a spreadsheet formula.</summary>
    private static readonly HashSet<string> Unguarded = new(StringComparer.Ordinal) { ImportColumns.PhoneNumber, ImportColumns.Birthdate };

    private static readonly ListRequest<User> ByEmail = new(
        null, Sorting.Parse("email", UserListEndpoint.Attributes).Value!, new PageRequest(1, PageSize), FieldProjection.All);

    /// <summary>How many users <paramref name="tenants"/> hold, for progress.</summary>
    public async Task<long> CountAsync(string applicationId, IReadOnlyList<Tenant> tenants, CancellationToken cancellationToken)
    {
        long total = 0;
        foreach (var tenant in tenants)
        {
            await using var scope = EnterTenant(applicationId, tenant);
            total += await scope.ServiceProvider.GetRequiredService<LanyardDbContext>().Users.LongCountAsync(cancellationToken);
        }

        return total;
    }

    /// <summary>Writes the header and every user of <paramref name="tenants"/>; <paramref name="progress"/> hears the running count after each page.</summary>
    public async Task<long> WriteCsvAsync(
        string applicationId, IReadOnlyList<Tenant> tenants, bool tenantColumn, TextWriter output, Action<long>? progress, CancellationToken cancellationToken)
    {
        await using var csv = Sep.New(',').Writer(o => o with { Escape = true }).To(output, leaveOpen: true);
        string[] columns = tenantColumn ? [ImportColumns.TenantName, .. ImportColumns.Exported] : [.. ImportColumns.Exported];
        csv.Header.Add(columns);
        await csv.Header.WriteAsync(cancellationToken);

        long written = 0;
        foreach (var tenant in tenants)
        {
            await using var scope = EnterTenant(applicationId, tenant);
            var db = scope.ServiceProvider.GetRequiredService<LanyardDbContext>();
            for (var start = 1; ; start += PageSize)
            {
                var page = await UserListEndpoint.Page(db.Users, ByEmail with { Page = new PageRequest(start, PageSize) }, cancellationToken);
                if (page.Items.Count == 0)
                {
                    break;
                }

                var roles = await RoleNamesAsync(db, [.. page.Items.Select(i => (string)i["id"]!)], cancellationToken);
                foreach (var item in page.Items)
                {
                    await using var row = csv.NewRow(cancellationToken);
                    if (tenantColumn)
                    {
                        row[ImportColumns.TenantName].Set(tenant.Name);
                    }

                    foreach (var column in ImportColumns.Exported)
                    {
                        row[column].Set(column == ImportColumns.Roles ? string.Join(',', roles[(string)item["id"]!]) : Cell(item, column));
                    }
                }

                written += page.Items.Count;
                progress?.Invoke(written);
                if (page.Items.Count < PageSize)
                {
                    break;
                }
            }
        }

        await csv.FlushAsync(cancellationToken);
        return written;
    }

    private AsyncServiceScope EnterTenant(string applicationId, Tenant tenant)
    {
        var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Enter(applicationId, tenant.Id);
        return scope;
    }

    private static string Cell(JsonObject item, string column)
    {
        var value = item[column]?.ToString();
        return Unguarded.Contains(column) ? value ?? "" : ImportCell.Write(value);
    }

    /// <summary>Each user's role names joined with commas (Wristband's importer reads them so), in name order.</summary>
    private static async Task<ILookup<string, string>> RoleNamesAsync(LanyardDbContext db, List<string> userIds, CancellationToken cancellationToken)
    {
        var pairs = await db.UserRoles.Where(ur => userIds.Contains(ur.UserId))
            .Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => new { ur.UserId, r.Name })
            .ToListAsync(cancellationToken);
        return pairs.OrderBy(p => p.Name, StringComparer.Ordinal).ToLookup(p => p.UserId, p => p.Name);
    }
}
