namespace Lanyard.Server.Persistence;

/// <summary>
/// The request's <see cref="LanyardDbContext"/>, built on first use. Building a context costs EF Core a lookup of its
/// internal services that compares the options, every time: about a fifth of a client_credentials request's work
/// besides the signature. Host resolution runs on every request and the hot protocol paths (client_credentials,
/// JWKS) are answered from caches, so the services on those paths take this instead of the context.
/// </summary>
internal sealed class DbContextOnDemand(IServiceProvider requestServices)
{
    private LanyardDbContext? _context;

    public LanyardDbContext Context => _context ??= requestServices.GetRequiredService<LanyardDbContext>();
}
