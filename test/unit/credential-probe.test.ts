import { credentialFailureLine, triedCredentials } from '../../src/azureml/credential-probe';

it('names every credential an aggregate authentication error lists, whatever its message starts with', () => {
  const err = {
    name: 'AggregateAuthenticationError',
    errors: [
      { message: 'EnvironmentCredential is unavailable. No underlying credential could be used.' },
      { message: 'ManagedIdentityCredential: Network unreachable.' },
      { message: 'Visual Studio Code Authentication is not available.' },
      { message: 'Azure CLI could not be found.' },
      { message: 'Error: Unable to execute PowerShell.' },
      { message: "Azure Developer CLI couldn't be found." },
    ],
  };
  expect(triedCredentials(err)).toEqual([
    'EnvironmentCredential',
    'ManagedIdentityCredential',
    'VisualStudioCodeCredential',
    'AzureCliCredential',
    'AzurePowerShellCredential',
    'AzureDeveloperCliCredential',
  ]);
  expect(credentialFailureLine(err)).not.toContain('\n');
});
