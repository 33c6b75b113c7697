// Input files for the demo that look like the recipe's MNIST sample (azureml-examples' mnist folder):
// 28×28 8-bit grayscale PNGs of a handwritten-looking digit. Drawn from a 3×5 digit font scaled into the
// 20×20 centre box MNIST uses, with a little deterministic jitter so no two files are equal. Encoded by
// hand (PNG spec, ISO/IEC 15948: signature, IHDR, one zlib IDAT with filter byte 0 per row, IEND) so the
// demo needs no image library.
import { deflateSync } from 'node:zlib';

const SIZE = 28;

/** 3×5 glyphs, rows top to bottom, '#' = ink. */
const GLYPHS: Record<number, string[]> = {
  0: ['###', '#.#', '#.#', '#.#', '###'],
  1: ['.#.', '##.', '.#.', '.#.', '###'],
  2: ['###', '..#', '###', '#..', '###'],
  3: ['###', '..#', '.##', '..#', '###'],
  4: ['#.#', '#.#', '###', '..#', '..#'],
  5: ['###', '#..', '###', '..#', '###'],
  6: ['###', '#..', '###', '#.#', '###'],
  7: ['###', '..#', '.#.', '.#.', '.#.'],
  8: ['###', '#.#', '###', '#.#', '###'],
  9: ['###', '#.#', '###', '..#', '###'],
};

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** 28×28 grayscale pixels (0 = black background, 255 = ink) of `digit`, varied by `seed`. */
export function digitPixels(digit: number, seed: number): Uint8Array {
  const glyph = GLYPHS[((digit % 10) + 10) % 10] as string[];
  const pixels = new Uint8Array(SIZE * SIZE);
  const dx = 4 + (seed % 3) - 1;
  const dy = 4 + ((seed >> 2) % 3) - 1;
  for (let y = 0; y < 20; y++) {
    for (let x = 0; x < 20; x++) {
      const row = glyph[Math.floor(y / 4)] ?? '';
      // The 3-column glyph spans 18 pixels (6 each), centred in the 20-pixel box.
      const col = Math.floor((x - 1) / 6);
      if (x < 1 || col > 2 || row[col] !== '#') continue;
      const edge = (x - 1) % 6 === 0 || (x - 1) % 6 === 5 || y % 4 === 0;
      const value = edge ? 140 + ((seed * 31 + x * 7 + y * 13) % 80) : 255;
      pixels[(y + dy) * SIZE + (x + dx)] = value;
    }
  }
  return pixels;
}

export function encodeGrayscalePng(pixels: Uint8Array, width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // colour type: grayscale
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method 0
  ihdr[12] = 0; // no interlace
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter type None
    Buffer.from(pixels.subarray(y * width, (y + 1) * width)).copy(raw, y * (width + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** `count` files named like the recipe's sample (0.png, 1.png, …), each a PNG of a digit. */
export function mnistLikeFiles(count: number): Array<{ name: string; content: Buffer }> {
  return Array.from({ length: count }, (_, i) => ({
    name: `${i}.png`,
    content: encodeGrayscalePng(digitPixels((i * 7 + 3) % 10, i), SIZE, SIZE),
  }));
}
