'use strict';
/**
 * Who hears when the service itself is in trouble (DEPLOY.md "Alarms"). Everything goes to one SNS
 * topic, the stack's own (with `alarmEmail` subscribed) or an existing one (`alarmTopicArn`):
 * - an alarm on each function's `Errors` (once per condition: the alarm notifies when it goes into
 *   ALARM, not on every failed invocation, so an hourly failure is one message);
 * - an EventBridge rule on the scheduled detection's `Run Failed` and `Data Stale` events
 *   (docs/events.md): the run's error, or the export's newest charge, in the message;
 * - an alarm on the failed-invocations queue, the on-failure destination of the scheduled functions
 *   (serverless.yml): an invocation that failed every attempt, or was dropped before it ran, is kept
 *   there for 14 days and the alarm stays on until someone has read and purged it.
 */
const { load } = require('./parameters.cjs');

/** The service's events (functions/core/events.ts EVENT_SOURCE). */
const EVENT_SOURCE = 'ai-spend-sentinel';
/** Run events that need a person; a manual `detect` or `run` reports its own trouble on the terminal. */
const RUN_TROUBLE_PATTERN = {
  source: [EVENT_SOURCE],
  'detail-type': ['Run Failed', 'Data Stale'],
  detail: { command: ['scheduled-detect'] },
};
/** The functions an alarm watches: alias → CloudFormation logical id (osls's naming) and what a failure stops. */
const FUNCTIONS = {
  detect: {
    logicalId: 'DetectLambdaFunction',
    stops:
      'no AI spend is checked until a run succeeds; the run also published Run Failed and mailed FinOps once',
  },
  followUp: {
    logicalId: 'FollowUpLambdaFunction',
    stops: 'deadlines, reminders, escalations and resends wait until it runs again',
  },
  ack: { logicalId: 'AckLambdaFunction', stops: "owners' answers through the email links are not recorded" },
};
const FAILED_INVOCATIONS_RETENTION_S = 14 * 24 * 3600;

const sub = (text) => ({ 'Fn::Sub': text });
const cap = (s) => `${s[0].toUpperCase()}${s.slice(1)}`;

function alarm(p, topic, { name, description, namespace, metric, dimension, statistic, period }) {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `${p.service}-${p.stage}-${name}`,
      AlarmDescription: description,
      Namespace: namespace,
      MetricName: metric,
      Dimensions: [dimension],
      Statistic: statistic,
      Period: period,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      // No invocation, no message: an idle function is not a failing one.
      TreatMissingData: 'notBreaching',
      AlarmActions: [topic],
    },
  };
}

/** The topic's policy: this stack's alarms and its rule may publish, nothing else is widened. */
function topicPolicy(p) {
  const topic = { Ref: 'AlarmTopic' };
  return {
    Type: 'AWS::SNS::TopicPolicy',
    Properties: {
      Topics: [topic],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'StackAlarmsPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topic,
            Condition: {
              ArnLike: {
                'aws:SourceArn': sub(
                  `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${p.service}-${p.stage}-*`,
                ),
              },
              StringEquals: { 'aws:SourceAccount': sub('${AWS::AccountId}') },
            },
          },
          {
            Sid: 'RunTroubleRulePublish',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topic,
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['RunTroubleRule', 'Arn'] } } },
          },
        ],
      },
    },
  };
}

/** The resources for the validated parameters (infra/parameters.cjs `derive`). Pure: tests call it directly. */
function alarmResources(p) {
  const own = !p.alarms.topicArn;
  const topic = own ? { Ref: 'AlarmTopic' } : p.alarms.topicArn;
  const resources = {};
  if (own) {
    resources.AlarmTopic = {
      Type: 'AWS::SNS::Topic',
      Properties: {
        TopicName: `${p.service}-${p.stage}-alarms`,
        DisplayName: `${p.service} ${p.stage}`,
      },
    };
    resources.AlarmTopicPolicy = topicPolicy(p);
    if (p.alarms.email) {
      resources.AlarmEmailSubscription = {
        Type: 'AWS::SNS::Subscription',
        Properties: { TopicArn: topic, Protocol: 'email', Endpoint: p.alarms.email },
      };
    }
  }
  for (const [alias, { logicalId, stops }] of Object.entries(FUNCTIONS)) {
    resources[`${cap(alias)}ErrorsAlarm`] = alarm(p, topic, {
      name: `${alias}-errors`,
      description:
        `${p.functionName(alias)} failed: ${stops}. The error is in its log group ` +
        `/aws/lambda/${p.functionName(alias)} (DEPLOY.md "Alarms").`,
      namespace: 'AWS/Lambda',
      metric: 'Errors',
      dimension: { Name: 'FunctionName', Value: { Ref: logicalId } },
      statistic: 'Sum',
      // An hour: an hourly follow-up that keeps failing stays in ALARM instead of notifying every hour.
      period: 3600,
    });
  }
  resources.FailedInvocationsQueue = {
    Type: 'AWS::SQS::Queue',
    Properties: {
      QueueName: `${p.service}-${p.stage}-failed-invocations`,
      MessageRetentionPeriod: FAILED_INVOCATIONS_RETENTION_S,
      SqsManagedSseEnabled: true,
    },
  };
  resources.FailedInvocationsAlarm = alarm(p, topic, {
    name: 'failed-invocations',
    description:
      'A scheduled invocation failed every attempt or was dropped before it ran: its record is in the ' +
      'failed-invocations queue. Read it, then purge the queue to clear this alarm (DEPLOY.md "Alarms").',
    namespace: 'AWS/SQS',
    metric: 'ApproximateNumberOfMessagesVisible',
    dimension: { Name: 'QueueName', Value: { 'Fn::GetAtt': ['FailedInvocationsQueue', 'QueueName'] } },
    statistic: 'Maximum',
    period: 300,
  });
  resources.RunTroubleRule = {
    Type: 'AWS::Events::Rule',
    Properties: {
      Name: `${p.service}-${p.stage}-run-trouble`,
      Description: 'Scheduled detection failed, or the cost export is stale (DEPLOY.md "Alarms")',
      EventBusName: p.eventBus,
      EventPattern: RUN_TROUBLE_PATTERN,
      State: 'ENABLED',
      // The event as it is (error, stale days, run id): email subscribers read it whole.
      Targets: [{ Id: 'alarm-topic', Arn: topic }],
    },
  };
  return {
    Resources: resources,
    Outputs: {
      AlarmTopicArn: {
        Description: 'SNS topic of the alarms and of the Run Failed / Data Stale rule',
        Value: topic,
      },
      FailedInvocationsQueueUrl: {
        Description: 'Records of scheduled invocations that failed every attempt (14 days)',
        Value: { Ref: 'FailedInvocationsQueue' },
      },
    },
  };
}

async function alarms(context) {
  return alarmResources(await load(context));
}

module.exports = alarms;
module.exports.alarmResources = alarmResources;
module.exports.RUN_TROUBLE_PATTERN = RUN_TROUBLE_PATTERN;
