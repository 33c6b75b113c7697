// The workspace's blob datastores. The recipe finds the default one with
// `GET .../datastores?isDefault=true` and reads value[0].{id,name,properties.accountName,containerName,
// endpoint,protocol}; uploads and output checks then go to `{protocol}://{account}.blob.{endpoint}/{container}`.
import { z } from 'zod';
import { rememberedLookup, type AzureMlContext } from './azureml-context';
import { AzureMlError } from './errors';
import { armListPageSchema, azureBlobDatastoreSchema, datastoreSchema } from './resources';
import { parseResponseBody } from './response-validation';
import { buildContainerUrl } from './storage-token-host';
import { datastoreId, datastoresPath, type WorkspaceAddress } from './workspace';

export const blobDatastoreLocationSchema = z.object({
  name: z.string(),
  id: z.string(),
  accountName: z.string(),
  containerName: z.string(),
  endpoint: z.string(),
  protocol: z.string(),
});
/** What uploads and output checks need to reach a blob datastore's container. */
export type BlobDatastoreLocation = z.infer<typeof blobDatastoreLocationSchema>;

/**
 * `{protocol}://{account}.blob.{endpoint}/{container}`: the recipe's BLOB_URI_ROOT, built with the URL
 * API from checked parts (storage-token-host.ts), so a crafted endpoint cannot move the host.
 */
export function datastoreContainerUrl(ds: BlobDatastoreLocation): string {
  return buildContainerUrl(ds).toString();
}

function toBlobLocation(body: unknown, what: string, status?: number, requestId?: string): BlobDatastoreLocation {
  const any = parseResponseBody(datastoreSchema, body, what, status === undefined ? undefined : { status, requestId });
  if (any.properties.datastoreType !== 'AzureBlob') {
    throw new AzureMlError({
      code: 'UnsupportedDatastore',
      message: `${what} is of type ${any.properties.datastoreType}; batch-score-bot reads and writes AzureBlob datastores only`,
      retriable: false,
    });
  }
  const ds = parseResponseBody(azureBlobDatastoreSchema, body, what);
  return {
    name: ds.name,
    id: ds.id,
    accountName: ds.properties.accountName,
    containerName: ds.properties.containerName,
    endpoint: ds.properties.endpoint,
    protocol: ds.properties.protocol,
  };
}

export function getDefaultDatastore(ctx: AzureMlContext): Promise<BlobDatastoreLocation> {
  return rememberedLookup(ctx, 'datastore:default', () => readDefaultDatastore(ctx));
}

async function readDefaultDatastore(ctx: AzureMlContext): Promise<BlobDatastoreLocation> {
  const response = await ctx.arm.request({
    method: 'GET',
    path: datastoresPath(ctx.workspace),
    query: { isDefault: 'true' },
  });
  const page = parseResponseBody(armListPageSchema(z.unknown()), response.body, 'datastore list', response);
  const first = page.value[0];
  if (first === undefined) {
    throw new AzureMlError({
      code: 'NoDefaultDatastore',
      message: `workspace '${ctx.workspace.workspace}' has no default datastore; set one in Azure ML studio (Data > Datastores)`,
      retriable: false,
    });
  }
  return toBlobLocation(first, 'default datastore', response.status, response.requestId);
}

/** A datastore by name, in this workspace or another one the same credential can read. */
export function getBlobDatastore(ctx: AzureMlContext, name: string, ws: WorkspaceAddress = ctx.workspace): Promise<BlobDatastoreLocation> {
  const path = datastoreId(ws, name);
  return rememberedLookup(ctx, `datastore:${path.toLowerCase()}`, async () => {
    const response = await ctx.arm.request({ method: 'GET', path });
    return toBlobLocation(response.body, `datastore '${name}'`, response.status, response.requestId);
  });
}
