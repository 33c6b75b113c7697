// A time-limited, read-only link to one blob, for people who have no Azure access of their own.
//
// With the worker's Azure identity (production): a user-delegation SAS — the identity asks the blob
// service for a user delegation key (`getUserDelegationKey`, needs Storage Blob Delegator or a data role
// on the account) and signs with it, so no account key is ever held and revoking the identity's role
// revokes the links. With a connection string (the sandbox's Azurite, or a team that configures one): an
// account-key (service) SAS. Azurite serves user delegation keys only when it runs with OAuth over HTTPS,
// which the sandbox does not, so the sandbox shows the account-key form (docs/sandbox-fidelity.md);
// test/integration/blob-read-link.test.ts runs an Azurite with OAuth to hold the user-delegation form.
import type { TokenCredential } from '@azure/identity';
import { BlobSASPermissions, BlobServiceClient, generateBlobSASQueryParameters, StorageSharedKeyCredential, type UserDelegationKey } from '@azure/storage-blob';
import type { DatastoreAccess } from './datastore-container';
import { datastoreContainerUrl, type BlobDatastoreLocation } from './datastores';
import { assertMayReceiveStorageToken, type StorageTokenPolicy } from './storage-token-host';

export interface BlobReadLink {
  url: string;
  expiresOn: Date;
  kind: 'user-delegation' | 'account-key';
}

export type BlobReadLinkFactory = (datastore: BlobDatastoreLocation, blobName: string, ttlMs: number) => Promise<BlobReadLink | undefined>;

/** Links a few minutes in the past are valid at once even on a server whose clock runs ahead. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** A user delegation key lives at most seven days. */
export const MAX_LINK_TTL_MS = 7 * 24 * 3600_000;
/**
 * A user delegation key is asked for this much longer than the link that asked for it, so the links made in
 * the hour after it are signed with it too: when hundreds of jobs end together, one key request, not one
 * per result link.
 */
const KEY_SPARE_MS = 3600_000;

export interface BlobReadLinkOptions {
  /**
   * The storage service version signed into user-delegation links; default the SDK's own. Azurite 3.35
   * verifies user-delegation SAS only up to 2025-11-05, so its test pins that.
   */
  sasVersion?: string;
}

export function createBlobReadLinkFactory(access: DatastoreAccess, now: () => number = Date.now, options: BlobReadLinkOptions = {}): BlobReadLinkFactory {
  if (access.kind === 'connection-string') {
    const service = BlobServiceClient.fromConnectionString(access.connectionString);
    return async (ds, blobName, ttlMs) => {
      const credential = service.credential;
      if (!(credential instanceof StorageSharedKeyCredential)) return undefined;
      const expiresOn = new Date(now() + Math.min(ttlMs, MAX_LINK_TTL_MS));
      const blob = service.getContainerClient(ds.containerName).getBlobClient(blobName);
      const sas = generateBlobSASQueryParameters(
        { containerName: ds.containerName, blobName, permissions: BlobSASPermissions.parse('r'), startsOn: new Date(now() - CLOCK_SKEW_MS), expiresOn },
        credential,
      ).toString();
      return { url: `${blob.url}?${sas}`, expiresOn, kind: 'account-key' };
    };
  }
  return userDelegationLinks(access.credential, access.blobServiceUrl, access.tokenPolicy, now, options.sasVersion);
}

function userDelegationLinks(
  credential: TokenCredential,
  blobServiceUrl: string | undefined,
  tokenPolicy: StorageTokenPolicy,
  now: () => number,
  sasVersion: string | undefined,
): BlobReadLinkFactory {
  // One key per blob service, kept while it outlives the links asked for (a failed request is not kept).
  const keys = new Map<string, Promise<{ key: UserDelegationKey; startsOn: Date; expiresOn: Date }>>();
  const keyFor = async (service: BlobServiceClient, serviceUrl: string, startsOn: Date, expiresOn: Date): Promise<UserDelegationKey> => {
    const kept = await keys.get(serviceUrl)?.catch(() => undefined);
    if (kept && kept.startsOn <= startsOn && kept.expiresOn >= expiresOn) return kept.key;
    const keyExpiresOn = new Date(Math.min(expiresOn.getTime() + KEY_SPARE_MS, now() + MAX_LINK_TTL_MS));
    const asked = service.getUserDelegationKey(startsOn, keyExpiresOn).then((key) => ({ key, startsOn, expiresOn: keyExpiresOn }));
    keys.set(serviceUrl, asked);
    asked.catch(() => {
      if (keys.get(serviceUrl) === asked) keys.delete(serviceUrl);
    });
    return (await asked).key;
  };
  return async (ds, blobName, ttlMs) => {
    const containerUrl = datastoreContainerUrl(ds);
    // The identity's token goes with the key request: only to a blob host of this cloud (an operator's
    // configured service URL is trusted as configured), as for every other storage call.
    if (!blobServiceUrl) assertMayReceiveStorageToken(new URL(containerUrl), tokenPolicy);
    const serviceUrl = blobServiceUrl ?? containerUrl.slice(0, containerUrl.lastIndexOf('/'));
    const service = new BlobServiceClient(serviceUrl, credential);
    const startsOn = new Date(now() - CLOCK_SKEW_MS);
    const expiresOn = new Date(now() + Math.min(ttlMs, MAX_LINK_TTL_MS));
    const key = await keyFor(service, serviceUrl, startsOn, expiresOn);
    const sas = generateBlobSASQueryParameters(
      { containerName: ds.containerName, blobName, permissions: BlobSASPermissions.parse('r'), startsOn, expiresOn, ...(sasVersion ? { version: sasVersion } : {}) },
      key,
      ds.accountName,
    ).toString();
    const blobUrl = service.getContainerClient(ds.containerName).getBlobClient(blobName).url;
    return { url: `${blobUrl}?${sas}`, expiresOn, kind: 'user-delegation' };
  };
}
