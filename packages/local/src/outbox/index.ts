/** Local stand-ins for the notification channels: SES (aws-ses-v2-local) and Slack incoming webhooks. */
export * from './ses-local';
export * from './slack-receiver';
