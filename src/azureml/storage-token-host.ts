// Where the bot's storage token may go. A datastore's `endpoint` and `protocol` are data anyone with
// write access to a workspace can set; the container URL is built from them, and the blob SDK sends
// `Authorization: Bearer <storage token>` to whatever host that URL names. So the URL is built with the
// URL API from checked parts (never concatenated: an endpoint like `x@127.0.0.1:8080` would turn the
// account into a user name and the attacker's port into the host), and the token goes only to
// `{account}.blob.{the cloud's storage suffix}` over https, or to a host an operator listed
// (BATCH_SCORE_STORAGE_TOKEN_HOSTS: private endpoints, a local stand-in).
import { AzureMlError } from './errors';

export interface StorageTokenPolicy {
  /** The cloud's storage suffix: core.windows.net, core.chinacloudapi.cn, core.usgovcloudapi.net. */
  storageEndpointSuffix: string;
  /** Hosts (`host` or `host:port`, lower case) that may receive the token besides the cloud's blob hosts. */
  extraHosts?: readonly string[];
}

/** Storage account names: 3-24 lower-case letters and digits (Azure's rule; Azurite's devstoreaccount1 fits). */
const ACCOUNT_NAME = /^[a-z0-9]{3,24}$/;
/** A DNS suffix: labels of letters, digits and '-', nothing else (no '@', ':', '/', '?', '#'). */
const DNS_SUFFIX = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

function refused(message: string): AzureMlError {
  return new AzureMlError({ code: 'UntrustedStorageHost', message, retriable: false });
}

/** True when a token for storage may be sent to this URL. */
export function mayReceiveStorageToken(url: URL, policy: StorageTokenPolicy): boolean {
  if (url.username !== '' || url.password !== '') return false;
  const host = url.hostname.toLowerCase();
  const extra = policy.extraHosts ?? [];
  if (extra.includes(host) || extra.includes(url.host.toLowerCase())) return true;
  const suffix = `.blob.${policy.storageEndpointSuffix.toLowerCase()}`;
  return url.protocol === 'https:' && host.endsWith(suffix) && ACCOUNT_NAME.test(host.slice(0, -suffix.length));
}

export function assertMayReceiveStorageToken(url: URL, policy: StorageTokenPolicy): void {
  if (!mayReceiveStorageToken(url, policy)) {
    throw refused(
      `the datastore's storage host ${url.host} is not a blob host of this Azure cloud (*.blob.${policy.storageEndpointSuffix}); ` +
        'the bot does not send its storage token there. An operator can allow a host with BATCH_SCORE_STORAGE_TOKEN_HOSTS.',
    );
  }
}

/** `{protocol}://{account}.blob.{endpoint}/{container}`, built from checked parts. */
export function buildContainerUrl(parts: { protocol: string; accountName: string; endpoint: string; containerName: string }): URL {
  const protocol = parts.protocol.toLowerCase();
  if (protocol !== 'https' && protocol !== 'http') throw refused(`the datastore's protocol '${parts.protocol.slice(0, 20)}' is not https`);
  if (!ACCOUNT_NAME.test(parts.accountName)) throw refused("the datastore's storage account name is not a valid account name");
  if (!DNS_SUFFIX.test(parts.endpoint)) throw refused("the datastore's endpoint is not a DNS suffix such as core.windows.net");
  if (parts.containerName === '') throw refused('the datastore names no container');
  const url = new URL('https://placeholder.invalid/');
  url.protocol = `${protocol}:`;
  url.hostname = `${parts.accountName}.blob.${parts.endpoint}`;
  url.pathname = `/${encodeURIComponent(parts.containerName)}`;
  return url;
}
