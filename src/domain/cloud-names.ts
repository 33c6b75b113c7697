// Azure's cloud names (AZURE_CLOUD) as people say them, for what the bot and the CLI tell a person about
// a workspace ("ml-prod on Azure China"). Domain, not src/azureml/clouds.ts, because Slack's messages
// need it too and src/slack/ does not import src/azureml/.
const CLOUD_WORDS: Readonly<Record<string, string>> = {
  AzureCloud: 'Azure',
  AzureChinaCloud: 'Azure China',
  AzureUSGovernment: 'Azure US Government',
};

/** An unknown cloud name is shown as configured. */
export function cloudDisplayName(cloud: string): string {
  return Object.hasOwn(CLOUD_WORDS, cloud) ? (CLOUD_WORDS[cloud] as string) : cloud;
}
