namespace Lanyard.Server.Persistence;

/// <summary>
/// The request's <see cref="LanyardDbContext"/>, built on first use. Building a context costs about 5% of a
/// client_credentials request (EF Core looks its internal services up by comparing options), and that grant is
/// answered from caches without touching a table; services on such paths take this instead of the context.
/// </summary>
internal sealed class DbContextOnDemand(IServiceProvider requestServices)
{
    private LanyardDbContext? _context;

    public LanyardDbContext Context => _context ??= requestServices.GetRequiredService<LanyardDbContext>();
}
