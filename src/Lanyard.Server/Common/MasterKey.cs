using System.Security.Cryptography;
using System.Text;

namespace Lanyard.Server.Common;

/// <summary>
/// The server's root secret. Every purpose-specific key (client-secret hashing, signing-key and TOTP
/// seed encryption) is derived from it with HKDF, so one value is configured and rotated, and a key
/// leaked for one purpose says nothing about another.
/// </summary>
internal sealed class MasterKey
{
    private readonly byte[] _root;

    public MasterKey(byte[] root)
    {
        if (root.Length < 32)
        {
            throw new ArgumentException("The master key must be at least 256 bits.", nameof(root));
        }

        _root = root;
    }

    public byte[] Derive(string purpose, int length = 32) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _root, length, salt: [], info: Encoding.UTF8.GetBytes("lanyard:" + purpose));
}
