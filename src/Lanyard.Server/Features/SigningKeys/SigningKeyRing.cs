using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Lanyard.Server.Common;
using Lanyard.Server.Hosting;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;

namespace Lanyard.Server.Features.SigningKeys;

/// <summary>What one application signs with and publishes right now.</summary>
internal sealed record KeySet(SigningCredentials Signing, IReadOnlyList<SecurityKey> ValidationKeys, byte[] JwksJson, DateTimeOffset ValidUntil);

/// <summary>
/// The signing keys of every application, decrypted once and cached. Rotation never causes downtime:
/// a new key is published in JWKS <see cref="ProtocolSettings.SigningKeyPrepublication"/> before it
/// signs anything, and a retired key stays published until every token it signed has expired.
/// The cache is reloaded at least every minute, so every node picks up a rotation made by another.
/// </summary>
internal sealed partial class SigningKeyRing(
    IServiceScopeFactory scopes, MasterKey masterKey, ServerSettings settings, TimeProvider time, ILogger<SigningKeyRing> logger) : IDisposable
{
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(1);
    private readonly SecretBox _box = new(masterKey, "signing-key");
    private readonly ConcurrentDictionary<string, KeySet> _cache = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _loadLock = new(1, 1);

    public void Dispose() => _loadLock.Dispose();

    public async ValueTask<KeySet> GetAsync(string applicationId, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(applicationId, out var cached) && cached.ValidUntil > time.GetUtcNow())
        {
            return cached;
        }

        await _loadLock.WaitAsync(cancellationToken);
        try
        {
            if (_cache.TryGetValue(applicationId, out cached) && cached.ValidUntil > time.GetUtcNow())
            {
                return cached;
            }

            var loaded = await LoadAsync(applicationId, cancellationToken);
            _cache[applicationId] = loaded;
            return loaded;
        }
        finally
        {
            _loadLock.Release();
        }
    }

    /// <summary>Publishes a new key now; it starts signing after the prepublication delay.</summary>
    public async Task<string> RotateAsync(string applicationId, CancellationToken cancellationToken)
    {
        await using var scope = EnterScope(applicationId, out var db);
        var key = CreateKey(time.GetUtcNow() + settings.Protocol.SigningKeyPrepublication);
        db.SigningKeys.Add(key);
        await db.SaveChangesAsync(cancellationToken);
        _cache.TryRemove(applicationId, out _);
        KeyPublished(logger, key.Id, applicationId, key.ActivatesAt);
        return key.Id;
    }

    /// <summary>Rotates when the active key is due and no successor is waiting; drops keys nobody can need.</summary>
    public async Task RotateIfDueAsync(string applicationId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using (var scope = EnterScope(applicationId, out var db))
        {
            var newest = await db.SigningKeys.OrderByDescending(k => k.ActivatesAt).FirstOrDefaultAsync(cancellationToken);
            // No key at all is not due: the first load creates one that signs at once.
            var due = newest is not null && newest.ActivatesAt <= now
                && newest.ActivatesAt + settings.Protocol.SigningKeyRotationPeriod - settings.Protocol.SigningKeyPrepublication <= now;
            await db.SigningKeys.Where(k => k.ExpiresAt != null && k.ExpiresAt < now).ExecuteDeleteAsync(cancellationToken);
            if (!due)
            {
                return;
            }
        }

        await RotateAsync(applicationId, cancellationToken);
    }

    private async Task<KeySet> LoadAsync(string applicationId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var scope = EnterScope(applicationId, out var db);
        var keys = await db.SigningKeys.AsTracking().OrderBy(k => k.ActivatesAt).ToListAsync(cancellationToken);
        if (!keys.Exists(k => k.ActivatesAt <= now))
        {
            // A new application has nothing to roll over from: its first key signs at once.
            var first = CreateKey(now);
            db.SigningKeys.Add(first);
            keys.Insert(0, first);
            KeyPublished(logger, first.Id, applicationId, first.ActivatesAt);
        }

        var active = keys.Last(k => k.ActivatesAt <= now);

        // Stamp retirement on keys that a newer one has replaced, once.
        for (var i = 0; i < keys.Count - 1; i++)
        {
            if (keys[i].RetiresAt is null && keys[i + 1].ActivatesAt <= now)
            {
                keys[i].RetiresAt = keys[i + 1].ActivatesAt;
                keys[i].ExpiresAt = keys[i + 1].ActivatesAt + settings.Protocol.SigningKeyRetention;
            }
        }

        await db.SaveChangesAsync(cancellationToken);

        var published = keys.Where(k => k.ExpiresAt is null || k.ExpiresAt > now).ToList();
        var validation = published.Select(SecurityKey (k) => ToPublicKey(k)).ToList();
        var signing = new SigningCredentials(ToPrivateKey(active), SecurityAlgorithms.RsaSha256);

        // The cache ends early when a published key is about to start signing or a retired one to expire.
        var validUntil = now + CacheLifetime;
        foreach (var k in published)
        {
            if (k.ActivatesAt > now && k.ActivatesAt < validUntil)
            {
                validUntil = k.ActivatesAt;
            }

            if (k.ExpiresAt is { } expires && expires < validUntil)
            {
                validUntil = expires;
            }
        }

        return new KeySet(signing, validation, Jwks(published), validUntil);
    }

    private SigningKey CreateKey(DateTimeOffset activatesAt)
    {
        using var rsa = RSA.Create(2048);
        return new SigningKey
        {
            Id = LanyardId.New(time),
            PublicKey = rsa.ExportSubjectPublicKeyInfo(),
            EncryptedPrivateKey = _box.Seal(rsa.ExportPkcs8PrivateKey()),
            CreatedAt = time.GetUtcNow(),
            ActivatesAt = activatesAt,
        };
    }

    // Key material never changes for a key id, so each key is imported once for the process: the key set
    // is rebuilt every minute, and a fresh RSA object per rebuild would pile up native handles.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, RsaSecurityKey> _privateKeys = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, RsaSecurityKey> _publicKeys = new(StringComparer.Ordinal);

    private RsaSecurityKey ToPrivateKey(SigningKey key) => _privateKeys.GetOrAdd(key.Id, id =>
    {
        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(_box.Open(key.EncryptedPrivateKey), out _);
        return new RsaSecurityKey(rsa) { KeyId = id };
    });

    private RsaSecurityKey ToPublicKey(SigningKey key) => _publicKeys.GetOrAdd(key.Id, id =>
    {
        var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(key.PublicKey, out _);
        return new RsaSecurityKey(rsa) { KeyId = id };
    });

    private static byte[] Jwks(IEnumerable<SigningKey> keys)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("keys");
            foreach (var key in keys)
            {
                using var rsa = RSA.Create();
                rsa.ImportSubjectPublicKeyInfo(key.PublicKey, out _);
                var parameters = rsa.ExportParameters(includePrivateParameters: false);
                json.WriteStartObject();
                json.WriteString("kty", "RSA");
                json.WriteString("kid", key.Id);
                json.WriteString("use", "sig");
                json.WriteString("alg", key.Algorithm);
                json.WriteString("n", Base64Url.Encode(parameters.Modulus));
                json.WriteString("e", Base64Url.Encode(parameters.Exponent));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private AsyncServiceScope EnterScope(string applicationId, out LanyardDbContext db)
    {
        var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Enter(applicationId);
        db = scope.ServiceProvider.GetRequiredService<LanyardDbContext>();
        return scope;
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Signing key {KeyId} of application {ApplicationId} published; signs from {ActivatesAt}")]
    private static partial void KeyPublished(ILogger logger, string keyId, string applicationId, DateTimeOffset activatesAt);
}
