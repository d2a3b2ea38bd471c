/** s3rver's built-in account; the embedded server accepts exactly this pair. */
export const EMBEDDED_S3_CREDENTIALS = { accessKey: 'S3RVER', secretKey: 'S3RVER' } as const;
