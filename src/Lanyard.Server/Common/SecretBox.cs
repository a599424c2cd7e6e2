using System.Security.Cryptography;

namespace Lanyard.Server.Common;

/// <summary>
/// Authenticated encryption of small secrets at rest (signing keys, TOTP seeds) with AES-256-GCM under a
/// key derived from the master key for one purpose. The purpose is bound as associated data too, so a
/// value encrypted for one purpose never decrypts as another.
/// </summary>
internal sealed class SecretBox
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;
    private readonly byte[] _purpose;

    public SecretBox(MasterKey masterKey, string purpose)
    {
        _key = masterKey.Derive("secret-box:" + purpose);
        _purpose = System.Text.Encoding.UTF8.GetBytes(purpose);
    }

    public byte[] Seal(ReadOnlySpan<byte> plaintext)
    {
        var output = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize), _purpose);
        return output;
    }

    public byte[] Open(ReadOnlySpan<byte> sealedValue)
    {
        if (sealedValue.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("The sealed value is too short.");
        }

        var plaintext = new byte[sealedValue.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(sealedValue[..NonceSize], sealedValue[(NonceSize + TagSize)..], sealedValue.Slice(NonceSize, TagSize), plaintext, _purpose);
        return plaintext;
    }
}
