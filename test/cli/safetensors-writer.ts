/** Writes small safetensors files for tests (the format is simple enough to write by hand here). */
import { writeFileSync } from 'node:fs';

export interface TensorSpec {
  readonly dtype: 'F32' | 'F16' | 'BF16' | 'I64';
  readonly shape: number[];
  readonly values: number[];
}

function encode(dtype: TensorSpec['dtype'], values: number[]): Buffer {
  const size = dtype === 'F32' ? 4 : dtype === 'I64' ? 8 : 2;
  const buffer = Buffer.alloc(values.length * size);
  values.forEach((v, i) => {
    if (dtype === 'F32') buffer.writeFloatLE(v, i * 4);
    else if (dtype === 'I64') buffer.writeBigInt64LE(BigInt(Math.round(v)), i * 8);
    else if (dtype === 'BF16') {
      const f = Buffer.alloc(4);
      f.writeFloatLE(v);
      buffer.writeUInt16LE(f.readUInt32LE() >>> 16, i * 2);
    } else buffer.writeUInt16LE(floatToHalf(v), i * 2);
  });
  return buffer;
}

function floatToHalf(value: number): number {
  const f = Buffer.alloc(4);
  f.writeFloatLE(value);
  const bits = f.readUInt32LE();
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = (bits >>> 13) & 0x3ff;
  if (exponent <= 0) return sign;
  if (exponent >= 31) return sign | 0x7c00;
  return sign | (exponent << 10) | mantissa;
}

export function writeSafetensors(path: string, tensors: Record<string, TensorSpec>, options: { headerOverride?: (header: Record<string, unknown>) => void } = {}): void {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    const data = encode(tensor.dtype, tensor.values);
    header[name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + data.length] };
    chunks.push(data);
    offset += data.length;
  }
  options.headerOverride?.(header);
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([length, json, ...chunks]));
}
