using System.Buffers.Binary;
using System.IO.Compression;

namespace Lanyard.EndToEnd.Tests;

/// <summary>
/// Just enough of PNG to tell a rendered page from a blank one: the size, and how many different
/// colours its pixels have (8-bit RGB or RGBA, non-interlaced, as Chromium writes screenshots).
/// </summary>
internal sealed record Png(int Width, int Height, int DistinctPixels)
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    public static Png Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < Signature.Length || !bytes.AsSpan(0, Signature.Length).SequenceEqual(Signature))
        {
            throw new InvalidDataException($"{path} is not a PNG");
        }

        int width = 0, height = 0, bytesPerPixel = 0;
        using var compressed = new MemoryStream();
        for (var offset = Signature.Length; offset + 8 <= bytes.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(offset));
            var type = System.Text.Encoding.ASCII.GetString(bytes, offset + 4, 4);
            var data = bytes.AsSpan(offset + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                var (bitDepth, colourType, interlace) = (data[8], data[9], data[12]);
                bytesPerPixel = (bitDepth, colourType, interlace) switch
                {
                    (8, 2, 0) => 3,
                    (8, 6, 0) => 4,
                    _ => throw new InvalidDataException($"unsupported PNG: bit depth {bitDepth}, colour type {colourType}, interlace {interlace}"),
                };
            }
            else if (type == "IDAT")
            {
                compressed.Write(data);
            }

            offset += 12 + length;
        }

        compressed.Position = 0;
        using var zlib = new ZLibStream(compressed, CompressionMode.Decompress);
        using var raw = new MemoryStream();
        zlib.CopyTo(raw);
        return new Png(width, height, CountDistinctPixels(raw.GetBuffer().AsSpan(0, (int)raw.Length), width, height, bytesPerPixel));
    }

    /// <summary>Undoes the per-row filters (PNG spec §9) and counts the distinct pixel values.</summary>
    private static int CountDistinctPixels(ReadOnlySpan<byte> raw, int width, int height, int bpp)
    {
        var stride = width * bpp;
        var previous = new byte[stride];
        var current = new byte[stride];
        var colours = new HashSet<int>();
        for (var y = 0; y < height; y++)
        {
            var row = raw.Slice(y * (stride + 1), stride + 1);
            var filter = row[0];
            for (var x = 0; x < stride; x++)
            {
                int a = x >= bpp ? current[x - bpp] : 0, b = previous[x], c = x >= bpp ? previous[x - bpp] : 0;
                var predictor = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"bad PNG filter {filter}"),
                };
                current[x] = (byte)(row[x + 1] + predictor);
            }

            for (var x = 0; x < stride; x += bpp)
            {
                colours.Add(current[x] << 16 | current[x + 1] << 8 | current[x + 2]);
            }

            (previous, current) = (current, previous);
        }

        return colours.Count;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
