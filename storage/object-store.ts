import { Client } from 'minio';

export interface ObjectStoreOptions {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  region: string;
}

export interface PutOptions {
  contentType: string;
  cacheControl?: string;
  metadata?: Record<string, string>;
}

export interface StoredObjectInfo {
  size: number;
  contentType: string | undefined;
  cacheControl: string | undefined;
}

/**
 * LevelChat's view of object storage: one bucket on any S3-compatible endpoint (MinIO in
 * production, the embedded server by default). Bodies are always sent with a known size so the
 * client never falls back to multipart uploads, which the embedded server cannot list.
 */
export class ObjectStore {
  readonly bucket: string;
  private readonly client: Client;

  constructor(options: ObjectStoreOptions) {
    const url = new URL(options.endpoint);
    const useSSL = url.protocol === 'https:';
    this.bucket = options.bucket;
    this.client = new Client({
      endPoint: url.hostname,
      port: url.port ? Number(url.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      region: options.region,
      pathStyle: true,
    });
  }

  /** Creates the bucket if it is missing; nodes starting together may race to create it, and that is fine. */
  async ensureBucket(): Promise<void> {
    if (await this.client.bucketExists(this.bucket)) return;
    try {
      await this.client.makeBucket(this.bucket);
    } catch (err) {
      // Another node made it between our check and our create (S3 says "already exists"/"owned by you").
      if (!(await this.client.bucketExists(this.bucket))) throw err;
    }
  }

  /** Proves the endpoint answers and the bucket exists; throws otherwise. */
  async check(): Promise<void> {
    if (!(await this.client.bucketExists(this.bucket))) throw new Error(`bucket ${this.bucket} does not exist`);
  }

  async put(key: string, body: Buffer, options: PutOptions): Promise<void> {
    const headers: Record<string, string> = { 'Content-Type': options.contentType };
    if (options.cacheControl) headers['Cache-Control'] = options.cacheControl;
    for (const [name, value] of Object.entries(options.metadata ?? {})) headers[`X-Amz-Meta-${name}`] = value;
    await this.client.putObject(this.bucket, key, body, body.length, headers);
  }

  async get(key: string): Promise<Buffer> {
    const stream = await this.client.getObject(this.bucket, key);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** The object's bytes, or undefined when there is no such key. */
  async getIfExists(key: string): Promise<Buffer | undefined> {
    try {
      return await this.get(key);
    } catch (err) {
      if ((err as { code?: string }).code === 'NoSuchKey') return undefined;
      throw err;
    }
  }

  async stat(key: string): Promise<StoredObjectInfo> {
    const info = await this.client.statObject(this.bucket, key);
    const meta = info.metaData as Record<string, string | undefined>;
    return { size: info.size, contentType: meta['content-type'], cacheControl: meta['cache-control'] };
  }

  async remove(key: string): Promise<void> {
    await this.client.removeObject(this.bucket, key);
  }

  /**
   * Deletes `keys` in multi-object DELETE requests (S3 DeleteObjects, up to 1000 keys each); a key
   * that does not exist counts as deleted. Throws when S3 reports a key it could not delete.
   */
  async removeMany(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    // minio answers with the <Error> entries of the DeleteResult (Quiet mode: deleted keys are not listed),
    // although its typings wrap each in { Error }.
    const errors = (await this.client.removeObjects(this.bucket, [...keys])) as unknown as ({ Key?: string; Code?: string; Message?: string } | null)[];
    const failed = errors.filter((e) => e && e.Code !== 'NoSuchKey');
    if (failed.length > 0) throw new Error(`could not delete ${failed.length} of ${keys.length} objects: ${failed[0]!.Key} ${failed[0]!.Code} ${failed[0]!.Message ?? ''}`.trim());
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const item of this.client.listObjectsV2(this.bucket, prefix, true)) {
      if ((item as { name?: string }).name) keys.push((item as { name: string }).name);
    }
    return keys;
  }

  presignedGet(key: string, expirySeconds: number): Promise<string> {
    return this.client.presignedGetObject(this.bucket, key, expirySeconds);
  }
}
