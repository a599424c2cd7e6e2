namespace Lanyard.Server.Persistence;

/// <summary>
/// The request's <see cref="LanyardDbContext"/>, leased on first use. Contexts are pooled (docs/adr/0014), but a lease
/// and the reset when it ends are still work a request answered from caches need not do. Host resolution runs on
/// every request and the hot protocol paths (client_credentials, JWKS) are answered from caches, so the services on
/// those paths take this instead of the context.
/// </summary>
internal sealed class DbContextOnDemand(IServiceProvider requestServices)
{
    private LanyardDbContext? _context;

    public LanyardDbContext Context => _context ??= requestServices.GetRequiredService<LanyardDbContext>();
}
