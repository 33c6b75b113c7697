// Azure ML's naming rules, checked before anything is enqueued so a bad name fails in Slack, not in a worker.
// mfe.json allows ^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$ for endpoint/deployment path segments; Azure's endpoint
// documentation is stricter (begin with a letter, 3-32 letters, digits or '-'), and the service enforces that.
import { z } from 'zod';

const ENDPOINT_RULE = /^[a-zA-Z][a-zA-Z0-9-]{1,30}[a-zA-Z0-9]$/;
/** Asset (model, code, environment, data) names: letters, digits, '-', '_', '.', starting alphanumeric. */
const ASSET_NAME_RULE = /^[a-zA-Z0-9][a-zA-Z0-9\-_.]{0,254}$/;
const ASSET_VERSION_RULE = /^[a-zA-Z0-9][a-zA-Z0-9\-_.]{0,49}$/;
/** AmlCompute names: 2-16 characters, letters, digits and '-', starting with a letter. */
const COMPUTE_RULE = /^[a-zA-Z][a-zA-Z0-9-]{1,15}$/;

export const endpointNameSchema = z
  .string()
  .trim()
  .regex(
    ENDPOINT_RULE,
    'an endpoint name must be 3-32 characters of letters, digits and "-", begin with a letter and not end with "-" (and be unique in its Azure region)',
  );

export const deploymentNameSchema = z
  .string()
  .trim()
  .regex(
    ENDPOINT_RULE,
    'a deployment name must be 3-32 characters of letters, digits and "-", begin with a letter and not end with "-"',
  );

export const assetNameSchema = z
  .string()
  .trim()
  .regex(ASSET_NAME_RULE, 'an asset name must be 1-255 characters of letters, digits, "-", "_" or ".", starting with a letter or digit');

export const assetVersionSchema = z
  .string()
  .trim()
  .regex(ASSET_VERSION_RULE, 'a version must be 1-50 characters of letters, digits, "-", "_" or ".", starting with a letter or digit');

export const computeNameSchema = z
  .string()
  .trim()
  .regex(COMPUTE_RULE, 'a compute name must be 2-16 characters of letters, digits and "-", beginning with a letter');

/**
 * Batch scoring job names: ARM job names, which the service generates as GUIDs or "<adjective>_<noun>_<id>";
 * mfe.json's name pattern for workspace child resources is ^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$.
 */
export const jobNameSchema = z
  .string()
  .trim()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,254}$/, 'a job name must be 1-255 characters of letters, digits, "-" and "_", starting with a letter or digit');
